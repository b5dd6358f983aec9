"""iMIP invitations (formats.imip): the MIME structure, and the calendar read back by the
standard library and three iCalendar libraries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import icalendar
import ics as ics_lib
import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from phoner.core.clock import TZ, local_to_utc
from phoner.formats.imip import (
    Invitation,
    Mailbox,
    Method,
    build_calendar,
    build_message,
    is_address,
    vtimezone,
)
from tests.support.imip import calendar_bytes, calendar_parts, reparse, structure, text_body

NASTY = 'Hansen; Søn, & "Co"\nØstergaard 😀 ApS \\N C:\\Nye'


def _inv(**kw: object) -> Invitation:
    base = Invitation(
        method=Method.REQUEST,
        uid="0b7f-visit@phoner",
        sequence=0,
        start=local_to_utc(dt.date(2027, 3, 30), dt.time(9, 0)),
        end=local_to_utc(dt.date(2027, 3, 30), dt.time(10, 0)),
        summary=f"Virksomhedsbesøg: {NASTY}",
        location="Nørregade 12, 4600 Køge",
        description="Linje 1; med, tegn\nLinje 2",
        organizer=Mailbox("booking@koege.dk", "Jobcenter Køge"),
        attendee=Mailbox("k0@koege.demo.dk", "Fatima Yilmaz"),
        stamp=dt.datetime(2027, 3, 22, 10, 0, tzinfo=dt.UTC),
        tz=TZ,
        tzid=TZ.key,
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def _message(inv: Invitation) -> bytes:
    return bytes(build_message(inv, subject="Nyt besøg: tirsdag", text="Kære Fatima\n\nHej."))


@pytest.mark.parametrize("method", list(Method))
def test_structure_and_method_param_equal_method_inside(method: Method) -> None:
    inv = _inv(method=method, sequence=2)
    msg = reparse(build_message(inv, subject="Emne", text="Kære Fatima\n\nHej <b>&"))
    assert structure(msg) == [
        "multipart/mixed",
        " multipart/alternative",
        "  text/plain",
        "  text/html",
        "  text/calendar",
        " application/ics",
    ]
    inline, attached = calendar_parts(msg)
    assert inline.get_param("method") == method.value
    assert inline.get_content_charset() == "utf-8"
    assert inline.get_content_disposition() is None  # inline, not an attachment
    assert attached.get_content_disposition() == "attachment"
    cal = icalendar.Calendar.from_ical(calendar_bytes(msg))
    assert str(cal["METHOD"]) == method.value
    ev = cal.walk("VEVENT")[0]
    assert str(ev["UID"]) == inv.uid and int(ev["SEQUENCE"]) == 2
    assert str(ev["STATUS"]) == ("CANCELLED" if method == Method.CANCEL else "CONFIRMED")
    assert str(ev["ORGANIZER"]).lower() == "mailto:booking@koege.dk"
    attendee = ev["ATTENDEE"]
    assert str(attendee).lower() == "mailto:k0@koege.demo.dk"
    assert attendee.params["RSVP"] == "FALSE" and attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    # the bodies, in Danish, the HTML escaped
    assert text_body(msg) == "Kære Fatima\n\nHej <b>&\n"
    assert "<p>Hej &lt;b&gt;&amp;</p>" in text_body(msg, "html")
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["From"].addresses[0].addr_spec == "booking@koege.dk"
    assert msg["To"].addresses[0].addr_spec == "k0@koege.demo.dk"
    # Date from the injected clock, written in Copenhagen time
    assert msg["Date"] == "Mon, 22 Mar 2027 11:00:00 +0100"
    assert msg["Date"].datetime == inv.stamp


def test_read_by_vobject_and_ics() -> None:
    for method in Method:
        data = calendar_bytes(reparse(build_message(_inv(method=method), subject="s", text="t")))
        vcal = vobject.readOne(data.decode("utf-8"))
        assert vcal.method.value == method.value
        ev = vcal.vevent
        assert ev.uid.value == "0b7f-visit@phoner"
        assert ev.summary.value == f"Virksomhedsbesøg: {NASTY}"
        assert ev.location.value == "Nørregade 12, 4600 Køge"
        assert ev.organizer.value.lower() != ev.attendee.value.lower()
        assert ev.dtstart.value.astimezone(dt.UTC) == dt.datetime(2027, 3, 30, 7, 0, tzinfo=dt.UTC)
        if method == Method.CANCEL:
            assert ev.status.value == "CANCELLED"
        parsed = ics_lib.Calendar(data.decode("utf-8"))
        (event,) = parsed.events
        assert event.uid == "0b7f-visit@phoner"
        assert event.begin.datetime == dt.datetime(2027, 3, 30, 7, 0, tzinfo=dt.UTC)
        assert event.end.datetime == dt.datetime(2027, 3, 30, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("day", "local_line", "utc"),
    [
        # summer time began Sunday 28 March 2027: 09:00 is 07:00 UTC on the 30th ...
        (dt.date(2027, 3, 26), "20270326T090000", dt.datetime(2027, 3, 26, 8, 0)),
        (dt.date(2027, 3, 30), "20270330T090000", dt.datetime(2027, 3, 30, 7, 0)),
        # ... and ended Sunday 31 October 2027
        (dt.date(2027, 10, 29), "20271029T090000", dt.datetime(2027, 10, 29, 7, 0)),
        (dt.date(2027, 11, 1), "20271101T090000", dt.datetime(2027, 11, 1, 8, 0)),
    ],
)
def test_copenhagen_times_across_dst(day: dt.date, local_line: str, utc: dt.datetime) -> None:
    start = local_to_utc(day, dt.time(9, 0))
    inv = _inv(start=start, end=start + dt.timedelta(hours=1))
    data = build_calendar(inv)
    assert f"DTSTART;TZID=Europe/Copenhagen:{local_line}".encode() in data.split(b"\r\n")
    want = utc.replace(tzinfo=dt.UTC)
    ev = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert ev["DTSTART"].dt.astimezone(dt.UTC) == want
    assert ev["DTEND"].dt.astimezone(dt.UTC) == want + dt.timedelta(hours=1)
    # vobject resolves TZID with the VTIMEZONE in the file, not with its own zone data
    vev = vobject.readOne(data.decode("utf-8")).vevent
    assert vev.dtstart.value.astimezone(dt.UTC) == want
    ics_event = next(iter(ics_lib.Calendar(data.decode("utf-8")).events))
    assert ics_event.begin.datetime.astimezone(dt.UTC) == want


def test_vtimezone_is_rrule_form_and_agrees_with_zoneinfo() -> None:
    zone = vtimezone(TZ, TZ.key, 2027)
    text = zone.to_ical().decode()
    assert "RDATE" not in text  # Outlook does not accept a list of RDATEs
    assert text.count("RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=") == 2
    assert "DTSTART:19700329T020000" in text and "DTSTART:19701025T030000" in text
    # the rule read back by icalendar gives Copenhagen's offsets, hour by hour around
    # every change from 2020 to 2040
    parsed = icalendar.Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + zone.to_ical() + b"END:VCALENDAR\r\n"
    )
    tz = parsed.walk("VTIMEZONE")[0].to_tz()
    for year in range(2020, 2041):
        for month in (3, 10):
            t = dt.datetime(year, month, 24, tzinfo=dt.UTC)
            while t.month == month:
                assert t.astimezone(tz).utcoffset() == t.astimezone(TZ).utcoffset(), t
                t += dt.timedelta(hours=1)


def test_zone_without_summer_time_gets_one_standard_block() -> None:
    text = vtimezone(dt.UTC, "UTC", 2027).to_ical().decode()
    assert "BEGIN:STANDARD" in text and "DAYLIGHT" not in text and "RRULE" not in text


def test_escaping_of_company_names() -> None:
    data = build_calendar(_inv())
    unfolded = data.replace(b"\r\n ", b"")
    assert (
        'SUMMARY:Virksomhedsbesøg: Hansen\\; Søn\\, & "Co"\\nØstergaard 😀 ApS \\\\N C:\\\\Nye'
    ).encode() in unfolded
    assert b"LOCATION:N\xc3\xb8rregade 12\\, 4600 K\xc3\xb8ge" in unfolded
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    ev = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(ev["SUMMARY"]) == f"Virksomhedsbesøg: {NASTY}"
    assert str(ev["DESCRIPTION"]) == "Linje 1; med, tegn\nLinje 2"
    # a display name with quotes, commas and a line break stays one valid parameter
    named = build_calendar(_inv(attendee=Mailbox("aase@hansen.dk", NASTY)))
    vev = vobject.readOne(named.decode("utf-8")).vevent
    assert vev.attendee.value.lower() == "mailto:aase@hansen.dk"
    assert "Hansen; Søn" in vev.attendee.params["CN"][0]


def test_same_message_same_bytes_and_message_id_per_change() -> None:
    a, b = _message(_inv()), _message(_inv())
    assert a == b
    ids = {
        str(reparse(build_message(inv, subject="s", text="t"))["Message-ID"])
        for inv in (
            _inv(),
            _inv(sequence=1),
            _inv(method=Method.CANCEL),
            _inv(attendee=Mailbox("aase@hansen.dk")),
            _inv(description="changed"),
        )
    }
    assert len(ids) == 5
    assert all(re.fullmatch(r"<imip\.[0-9a-f]{40}@koege\.dk>", i) for i in ids)
    # the time of writing is not part of it: a resend of the same content is recognisable
    later = _inv(stamp=dt.datetime(2027, 3, 23, 8, 0, tzinfo=dt.UTC))
    assert (
        reparse(build_message(later, subject="s", text="t"))["Message-ID"]
        == reparse(build_message(_inv(), subject="s", text="t"))["Message-ID"]
    )


def test_organizer_is_never_the_recipient() -> None:
    with pytest.raises(ValueError, match="organizer"):
        build_calendar(_inv(attendee=Mailbox("BOOKING@koege.dk")))


@pytest.mark.parametrize(
    "text",
    ["aase@hansen.dk; bo@x.dk", "a b@x.dk", "aase@@x.dk", "aase@x..dk", "<aase@x.dk>", "åse@x.dk"],
)
def test_only_plain_addresses_are_written(text: str) -> None:
    # the e-mail library would quote such text into a different, wrong address
    assert not is_address(text)
    with pytest.raises(ValueError, match="plain e-mail address"):
        build_calendar(_inv(attendee=Mailbox(text)))
    assert is_address("aase.kjaer+besoeg@hansen-co.dk")


_CLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufeff]")


def _cleaned(value: str) -> str:
    return _CLEAN.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


@settings(max_examples=100, deadline=None)
@given(
    name=st.text(max_size=120),
    contact=st.text(max_size=80),
    description=st.text(max_size=300),
)
def test_any_text_round_trips_through_icalendar(name: str, contact: str, description: str) -> None:
    inv = _inv(
        summary=name,
        location=contact,
        description=description,
        attendee=Mailbox("aase@hansen.dk", contact),
    )
    data = calendar_bytes(reparse(build_message(inv, subject=name, text=description)))
    ev = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(ev.get("SUMMARY", "")) == _cleaned(name)
    assert str(ev.get("LOCATION", "")) == _cleaned(contact)
    assert str(ev.get("DESCRIPTION", "")) == _cleaned(description)
    assert str(ev["ATTENDEE"]).lower() == "mailto:aase@hansen.dk"

"""Calendar feeds, cross-checked by independent iCalendar parsers."""

from __future__ import annotations

import datetime as dt

import icalendar
import ics as ics_lib
import recurring_ical_events
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from phoner.core import feeds
from phoner.core.booking import service as bk
from phoner.core.clock import TZ
from phoner.core.db import Database
from phoner.core.models import CancelReason, Consultant
from phoner.formats.ics import FeedEvent, build_calendar, read_busy
from tests.support.booking import NOW, at, make_world


def _feed(db: Database, consultant_id: int) -> bytes:
    with db.session() as s:
        c = s.get(Consultant, consultant_id)
        assert c is not None
        return feeds.consultant_feed(session=s, consultant=c).body


def _lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in ln and b"\r" not in ln for ln in lines)
    return lines


def test_feed_cross_checked_by_four_parsers(sqlite_db: Database) -> None:
    db = sqlite_db
    w = make_world(db, consultants=2)
    c1 = w.consultant_ids[0]
    # before DST (CET, UTC+1) and after (CEST, UTC+2)
    b1 = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c1,
        start=at("2027-03-24", "09:00"),
        booked_by="telefonist1",
        attempt_id=w.attempt_id,
        contact_mobile="20 30 40 50",
        now=NOW,
    )
    b2 = bk.book_visit(
        db=db,
        company_id=w.other_company_id,
        consultant_id=c1,
        start=at("2027-03-24", "13:00"),
        booked_by="telefonist2",
        now=NOW,
    )
    b2 = bk.move_booking(
        db=db,
        booking_id=b2.id or 0,
        start=at("2027-03-30", "09:00"),
        actor="telefonist2",
        now=NOW + dt.timedelta(minutes=3),
    )
    body = _feed(db, c1)
    expected = {
        b1.uid: (dt.datetime(2027, 3, 24, 8, 0, tzinfo=dt.UTC), 0),
        b2.uid: (dt.datetime(2027, 3, 30, 7, 0, tzinfo=dt.UTC), 1),
    }

    # 1. icalendar
    cal = icalendar.Calendar.from_ical(body)
    assert str(cal["VERSION"]) == "2.0" and "phoner" in str(cal["PRODID"])
    assert "METHOD" not in cal  # a feed is not an iTIP message (no ORGANIZER needed)
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == "Virksomhedsbesøg – Fatima Yilmaz"
    assert "UID" not in cal
    events = cal.walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(expected)
    for e in events:
        start, seq = expected[str(e["UID"])]
        assert e["DTSTART"].dt == start and e["DTEND"].dt == start + dt.timedelta(hours=1)
        assert int(e["SEQUENCE"]) == seq
    ev1 = next(e for e in events if str(e["UID"]) == b1.uid)
    assert str(ev1["SUMMARY"]) == 'Virksomhedsbesøg: Hansen; Søn, & "Co"\nØstergaard 😀 ApS'
    assert str(ev1["LOCATION"]) == "Nørregade 12, 4600 Køge"
    desc = str(ev1["DESCRIPTION"])
    for part in (
        "Kontaktperson: Åse Kjær",
        "Telefon: 33 12 34 56, 20 30 40 50",
        "Mobil: 20 30 40 50",
        "E-mail: aase@hansen.dk",
        "jobfunktion: Rengøring",
        "kender fleksjob: ja",
        "Note fra telefonisten: Ring helst efter kl. 10; spørg efter Åse.",
        "Booket af: telefonist1",
        "Kampagne: Forår 2027",
    ):
        assert part in desc, part

    # 2. vobject
    vcal = vobject.readOne(body.decode("utf-8"))
    vevents = vcal.contents["vevent"]
    assert len(vevents) == 2
    for v in vevents:
        start, seq = expected[v.uid.value]
        assert v.dtstart.value == start
        assert int(v.sequence.value) == seq
    assert vcal.contents["x-wr-calname"][0].value.startswith("Virksomhedsbesøg")

    # 3. ics (ics-py)
    ical = ics_lib.Calendar(body.decode("utf-8"))
    got = {e.uid: e for e in ical.events}
    assert set(got) == set(expected)
    for uid, (start, _seq) in expected.items():
        assert got[uid].begin.datetime == start
        assert got[uid].end.datetime == start + dt.timedelta(hours=1)
    assert got[b1.uid].name.startswith("Virksomhedsbesøg: Hansen; Søn,")

    # 4. recurring-ical-events: each visit occurs exactly once
    occ = recurring_ical_events.of(cal).between(dt.date(2027, 3, 1), dt.date(2027, 5, 1))
    assert sorted(str(o["UID"]) for o in occ) == sorted(expected)

    # wire format: CRLF, folded at 75 octets, escaped TEXT, times in UTC
    lines = _lines(body)
    assert all(len(ln) <= 75 for ln in lines)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert b"X-PUBLISHED-TTL:PT1H" in lines
    assert b"DTSTART:20270324T080000Z" in lines and b"DTSTART:20270330T070000Z" in lines
    assert not any(ln.startswith(b"BEGIN:VTIMEZONE") for ln in lines)
    unfolded = body.replace(b"\r\n ", b"")
    assert 'SUMMARY:Virksomhedsbesøg: Hansen\\; Søn\\, & "Co"\\nØstergaard'.encode() in unfolded


def test_rebuild_is_byte_identical_and_changes_leave_or_raise(sqlite_db: Database) -> None:
    db = sqlite_db
    w = make_world(db, consultants=1)
    c1 = w.consultant_ids[0]
    empty = _feed(db, c1)
    cal = icalendar.Calendar.from_ical(empty)
    assert cal.walk("VEVENT") == [] and "METHOD" not in cal
    vobject.readOne(empty.decode())
    b = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c1,
        start=at("2027-03-30", "09:00"),
        booked_by="t",
        now=NOW,
    )
    first = _feed(db, c1)
    assert _feed(db, c1) == first  # deterministic DTSTAMP: nothing changed, same bytes
    assert b"DTSTAMP:20270322T100000Z" in first
    bk.cancel_booking(
        db=db,
        booking_id=b.id or 0,
        reason=CancelReason.COMPANY_CANCELLED,
        actor="t",
        now=NOW + dt.timedelta(hours=1),
    )
    after = _feed(db, c1)
    assert b.uid.encode() not in after  # cancelled visits leave the feed
    assert after == empty
    with db.session() as s:
        c = s.get(Consultant, c1)
        assert c is not None
        feed = feeds.consultant_feed(session=s, consultant=c)
    assert feed.last_modified == NOW + dt.timedelta(hours=1)


def test_long_text_folds_without_splitting_characters() -> None:
    long = "æøå😀;," * 40
    ev = FeedEvent(
        uid="x@phoner",
        start=dt.datetime(2027, 1, 5, 8, tzinfo=dt.UTC),
        end=dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC),
        summary=long,
        location=long,
        description=long + "\n" + long,
        sequence=3,
        created=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        last_modified=dt.datetime(2027, 1, 2, tzinfo=dt.UTC),
    )
    body = build_calendar(name="Test", events=[ev])
    for ln in _lines(body):
        assert len(ln) <= 75
        ln.decode("utf-8")  # no multi-byte character split across lines
    parsed = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(parsed["SUMMARY"]) == long and str(parsed["DESCRIPTION"]) == long + "\n" + long


def test_read_busy_is_free_busy_only() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        b"BEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20270101T000000Z\r\n"
        b"DTSTART;TZID=Europe/Copenhagen:20270301T090000\r\nDURATION:PT2H\r\n"
        b"RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Team\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:2\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270302T080000Z\r\n"
        b"DTEND:20270302T090000Z\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n"
        b"BEGIN:VFREEBUSY\r\nUID:3\r\nDTSTAMP:20270101T000000Z\r\n"
        b"FREEBUSY:20270402T080000Z/PT1H\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )
    busy = read_busy(
        data,
        start=dt.datetime(2027, 3, 1, tzinfo=dt.UTC),
        end=dt.datetime(2027, 5, 1, tzinfo=dt.UTC),
        tz=TZ,
    )
    assert busy == [
        (dt.datetime(2027, 3, d, 8, tzinfo=dt.UTC), dt.datetime(2027, 3, d, 10, tzinfo=dt.UTC))
        for d in (1, 8, 15)
    ] + [(dt.datetime(2027, 4, 2, 8, tzinfo=dt.UTC), dt.datetime(2027, 4, 2, 9, tzinfo=dt.UTC))]


def test_backslash_n_in_text_is_not_a_line_break() -> None:
    """icalendar alone would write a literal backslash + N as a line break."""
    text = "Drev C:\\Nye filer; se \\n og \\\\ her,\nny linje"
    t0 = dt.datetime(2027, 3, 24, 8, tzinfo=dt.UTC)
    ev = FeedEvent(
        uid="u@phoner",
        start=t0,
        end=t0 + dt.timedelta(hours=1),
        summary=text,
        location=text,
        description=text,
        sequence=0,
        created=t0,
        last_modified=t0,
    )
    body = build_calendar(name="Kalender", events=[ev])
    parsed = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(parsed["SUMMARY"]) == str(parsed["DESCRIPTION"]) == text
    assert vobject.readOne(body.decode()).vevent.location.value == text


def test_calendar_name_reads_back_whole_in_every_parser() -> None:
    """vobject cut "Jensen, Mette; Køge Øst" at the comma; icalendar and ics read NAME and
    X-WR-CALNAME verbatim, so an escaped name showed backslashes there."""
    body = build_calendar(name="Virksomhedsbesøg – Jensen, Mette; Køge Øst\\1", events=[])
    expected = "Virksomhedsbesøg – Jensen\u201a Mette / Køge Øst/1"
    cal = icalendar.Calendar.from_ical(body)
    assert str(cal["NAME"]) == str(cal["X-WR-CALNAME"]) == expected
    vcal = vobject.readOne(body.decode())
    assert vcal.contents["name"][0].value == expected
    assert vcal.contents["x-wr-calname"][0].value == expected
    extra = {x.name: x.value for x in ics_lib.Calendar(body.decode()).extra}
    assert extra["NAME"] == extra["X-WR-CALNAME"] == expected
    assert b"\\" not in body


# ----------------------------------------------- the hand-written writer == icalendar's


class _RefText(icalendar.vText):
    """The feed's TEXT escaping (RFC 5545 3.3.11) on icalendar's value type."""

    def to_ical(self) -> bytes:
        text = str(self)
        for raw, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
            text = text.replace(raw, escaped)
        return text.encode("utf-8")


def _reference(name: str, events: list[FeedEvent], description: str) -> bytes:
    """The feed as icalendar's Calendar/Event objects write it (the writer it replaced)."""
    from phoner.formats.ics import PRODID, REFRESH, _clean_text, _line, _utc, calendar_title

    cal = icalendar.Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", PRODID)
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar_title(name))
    cal.add("name", _RefText(calendar_title(name)))
    if description:
        cal.add("x-wr-caldesc", _line(description))
    cal.add("x-wr-timezone", "Europe/Copenhagen")
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for ev in sorted(events, key=lambda e: (_utc(e.start), e.uid)):
        vevent = icalendar.Event()
        vevent.add("uid", ev.uid)
        vevent.add("dtstamp", _utc(ev.last_modified))
        vevent.add("created", _utc(ev.created))
        vevent.add("last-modified", _utc(ev.last_modified))
        vevent.add("sequence", ev.sequence)
        vevent.add("dtstart", _utc(ev.start))
        vevent.add("dtend", _utc(ev.end))
        vevent.add("summary", _RefText(_clean_text(ev.summary)))
        if ev.location:
            vevent.add("location", _RefText(_clean_text(ev.location)))
        if ev.description:
            vevent.add("description", _RefText(_clean_text(ev.description)))
        vevent.add("status", "CONFIRMED")
        vevent.add("transp", "OPAQUE")
        if ev.url:
            vevent.add("url", ev.url)
        cal.add_component(vevent)
    return bytes(cal.to_ical())


_TRICKY = [
    'Hansen; Søn, & "Co"\nØstergaard 😀 ApS',
    "C:\\Nye filer\\noter; a,b\r\nc\rd\x00e\x07f\ufeffg\th\x7f",
    "x" * 73 + "\\;" + "y" * 200,
    "x" * 72 + "\\,z" + "æ" * 80,
    "a" * 73 + "^b" + "ø" * 3 + "😀" * 40,
    "\\" * 200,
    "æ" * 37 + "😀" + "å" * 100,
    "",
    "Virksomhed: Bageriet\n\nSvar i opkaldet:\n  Har I allerede medarbejdere i fleksjob? — Nej",
]


def _tricky_events() -> list[FeedEvent]:
    cet = dt.timezone(dt.timedelta(hours=1))
    events = []
    for i, text in enumerate(_TRICKY):
        start = at("2027-03-24", "09:00") + dt.timedelta(days=i, microseconds=123)
        events.append(
            FeedEvent(
                uid=f"{i}-uid;with,odd\\Nchars@phoner" if i % 3 == 0 else f"{i}@phoner",
                start=start if i % 2 else start.astimezone(cet),
                end=start + dt.timedelta(hours=1),
                summary=f"Virksomhedsbesøg: {text}",
                location=text[:90],
                description=text * (i % 3 + 1),
                sequence=i * 7,
                created=NOW,
                last_modified=NOW + dt.timedelta(seconds=i),
                url=f"https://kalender.koege.dk/phoner/besoeg/{i}-{'x' * 60}" if i % 2 else "",
            )
        )
    return events


def test_hand_written_feed_is_byte_identical_to_icalendar() -> None:
    events = _tricky_events()
    for name, description in [
        ("Virksomhedsbesøg – Åse Kjær; Lind, \\N 😀\r\nx", "Besøg, aflyste; forsvinder " * 5),
        ("Kort", ""),
    ]:
        ours = build_calendar(name=name, events=events, description=description)
        assert ours == _reference(name, events, description)
        assert build_calendar(name=name, events=[], description=description) == _reference(
            name, [], description
        )
        assert all(len(line) <= 75 for line in _lines(ours))


@settings(max_examples=300, deadline=None)
@given(
    st.text(min_size=0, max_size=400),
    st.text(alphabet=st.sampled_from("ab\\;,^\n\ræø😀 "), min_size=0, max_size=300),
    st.integers(min_value=0, max_value=10_000),
)
def test_hand_written_writer_matches_icalendar_on_any_text(
    text: str, escapes: str, sequence: int
) -> None:
    ev = FeedEvent(
        uid="abc@phoner",
        start=at("2027-03-24", "09:00"),
        end=at("2027-03-24", "10:00"),
        summary=text or "x",
        location=escapes,
        description=text + escapes,
        sequence=sequence,
        created=NOW,
        last_modified=NOW,
    )
    name = f"Konsulent {escapes[:40]}"
    assert build_calendar(name=name, events=[ev]) == _reference(name, [ev], "")

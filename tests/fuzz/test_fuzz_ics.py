"""Calendar feeds with every special character: names, notes and addresses with
``; , \\`` line breaks, æøå, emoji and control characters produce valid, correctly escaped
iCalendar that reads back (with icalendar and with vobject) to the same text.

What "the same" means: control characters are not allowed in iCalendar TEXT (RFC 5545,
except tab), so they are dropped (and U+FEFF, which parsers take for a byte-order mark);
CR and CRLF line breaks become LF; the calendar's name is one line, with look-alikes for
the characters TEXT escapes (:func:`title`). Everything else — including ``;``, ``,``,
``\\``, ``:`` and non-ASCII — must come back exactly.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

import icalendar
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from phoner.core import feeds
from phoner.core.db import Database
from phoner.core.models import Booking, Company, Consultant, OutboxMessage
from phoner.formats.ics import FeedEvent, build_calendar
from tests.support.booking import at, make_world

SPECIALS = [";", ",", "\\", "\\n", "\n", "\r\n", "\r", ":", '"', "'", "æøå ÆØÅ", "😀", "\t"]
SPECIALS += ["\x00", "\x01", "\x0b", "\x1b", "\x7f", "\u2028", "\ufeff", " ", "  ", "=1+1"]
T0 = dt.datetime(2027, 3, 24, 8, 0, tzinfo=dt.UTC)

texts = st.lists(st.one_of(st.sampled_from(SPECIALS), st.text(max_size=12)), max_size=12).map(
    "".join
)
_CTL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufeff]")


def expected(text: str, *, one_line: bool = False) -> str:
    text = _CTL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return " ".join(text.split("\n")) if one_line else text


def title(name: str) -> str:
    """The calendar name as every reader must show it: one line, a comma as U+201A, a
    semicolon as " /", a backslash as "/", runs of white space as one space."""
    text = expected(name, one_line=True)
    text = text.replace(",", "\u201a").replace(";", " /").replace("\\", "/")
    return " ".join(text.split())


def assert_wellformed(body: bytes) -> None:
    """RFC 5545 content lines: CRLF ends, at most 75 octets, no other control bytes."""
    assert body.endswith(b"\r\n")
    for line in body.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        assert b"\r" not in line and b"\n" not in line
        assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", line), line
        line.decode("utf-8")  # folding never splits a character


def _event(i: int, summary: str, location: str, description: str) -> FeedEvent:
    return FeedEvent(
        uid=f"{i}-{secrets.token_hex(4)}@phoner",
        start=T0 + dt.timedelta(hours=2 * i),
        end=T0 + dt.timedelta(hours=2 * i + 1),
        summary=summary,
        location=location,
        description=description,
        sequence=i,
        created=T0,
        last_modified=T0,
    )


@settings(max_examples=150, deadline=None)
@given(name=texts, rows=st.lists(st.tuples(texts, texts, texts), min_size=1, max_size=4))
def test_feed_text_round_trips(name: str, rows: list[tuple[str, str, str]]) -> None:
    events = [_event(i, *row) for i, row in enumerate(rows)]
    body = build_calendar(name=name, events=events, description=name)
    assert_wellformed(body)

    cal = icalendar.Calendar.from_ical(body)
    assert str(cal["x-wr-calname"]) == str(cal["name"]) == title(name)
    parsed = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert len(parsed) == len(events)
    for ev in events:
        got = parsed[ev.uid]
        assert str(got["summary"]) == expected(ev.summary)
        assert str(got.get("location", "")) == expected(ev.location)
        assert str(got.get("description", "")) == expected(ev.description)

    # a second, independent parser agrees
    other = vobject.readOne(body.decode("utf-8"))
    if title(name):
        assert other.contents["x-wr-calname"][0].value == title(name)
    by_uid = {v.uid.value: v for v in other.vevent_list}
    for ev in events:
        assert by_uid[ev.uid].summary.value == expected(ev.summary)
        if expected(ev.description):
            assert by_uid[ev.uid].description.value == expected(ev.description)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=texts, contact=texts, address=texts, note=texts)
def test_booking_feed_with_hostile_company_data(
    sqlite_db: Database, name: str, contact: str, address: str, note: str
) -> None:
    """Through the booking layer: what a list import could have put into the company and
    the consultant reaches the consultant's calendar intact."""
    db = sqlite_db
    with db.session() as s:
        if s.exec(select(Consultant)).first() is None:
            make_world(db)
    with db.session(write=True) as s:
        co = s.exec(select(Company).order_by(Company.id)).first()  # type: ignore[arg-type]
        k = s.exec(select(Consultant).order_by(Consultant.id)).first()  # type: ignore[arg-type]
        assert co is not None and k is not None
        co.name = name or "x"
        co.address = address or None
        co.contact_person = contact or None
        k.name = contact or "K"
        s.add_all([co, k])
        for m in s.exec(select(OutboxMessage)).all():  # a changed company queues invitations
            s.delete(m)
        for b in s.exec(select(Booking)).all():
            s.delete(b)
        s.flush()  # the old live booking goes before the new one comes (unique index)
        b = Booking(
            uid=f"{secrets.token_hex(6)}@phoner",
            campaign_id=co.campaign_id,
            company_id=co.id or 0,
            consultant_id=k.id or 0,
            start=at("2027-03-24", "09:00"),
            end=at("2027-03-24", "10:00"),
            booked_by="tlf",
            details={"note": note, "needs": {"jobtype": note}},
        )
        s.add(b)
    with db.session() as s:
        k = s.exec(select(Consultant).order_by(Consultant.id)).first()  # type: ignore[arg-type]
        assert k is not None
        feed = feeds.consultant_feed(session=s, consultant=k)
    assert_wellformed(feed.body)
    cal = icalendar.Calendar.from_ical(feed.body)
    [event] = list(cal.walk("VEVENT"))
    assert str(event["summary"]) == expected(f"Virksomhedsbesøg: {name or 'x'}")
    description = str(event["description"])
    if note:
        assert expected(f"Note fra telefonisten: {note}") in description
    assert str(cal["x-wr-calname"]) == title(f"Virksomhedsbesøg – {contact or 'K'}")

"""A change to anything a visit's event shows bumps its SEQUENCE and LAST-MODIFIED in the
same transaction (phoner.core.event_versions), and names the bumped visits for the outbox."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import sqlalchemy as sa

from phoner.core import feeds
from phoner.core.booking import service as bk
from phoner.core.db import Database
from phoner.core.event_versions import BUMPED_KEY
from phoner.core.models import Booking, Campaign, CancelReason, Company, Consultant
from tests.support.booking import NOW, at, make_world


def _event(db: Database, consultant_id: int) -> icalendar.Event:
    with db.session() as s:
        c = s.get(Consultant, consultant_id)
        assert c is not None
        body = feeds.consultant_feed(session=s, consultant=c).body
    [event] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    return event


def _book(db: Database, w: object, cid: int, day: str = "2027-03-30") -> Booking:
    return bk.book_visit(
        db=db,
        company_id=w.company_id,  # type: ignore[attr-defined]
        consultant_id=cid,
        start=at(day, "09:00"),
        booked_by="t1",
        now=NOW,
    )


def test_company_phone_change_bumps_sequence_last_modified_and_text(db: Database) -> None:
    w = make_world(db)
    cid = w.consultant_ids[0]
    b = _book(db, w, cid)
    before = _event(db, cid)
    assert int(before["SEQUENCE"]) == 0
    seen: list[set[int]] = []
    with db.session(write=True) as s:
        co = s.get(Company, w.company_id)
        assert co is not None
        co.phones = ["+4587654321"]
        s.add(co)
        s.flush()
        seen.append(set(s.info.get(BUMPED_KEY, set())))
    assert seen == [{b.id}]
    after = _event(db, cid)
    assert int(after["SEQUENCE"]) == 1
    assert after["LAST-MODIFIED"].dt > before["LAST-MODIFIED"].dt
    assert after["DTSTAMP"].dt == after["LAST-MODIFIED"].dt
    assert "87 65 43 21" in str(after["DESCRIPTION"])
    assert "87 65 43 21" not in str(before["DESCRIPTION"])


def test_unshown_fields_bump_nothing_and_a_rollback_bumps_nothing(db: Database) -> None:
    w = make_world(db)
    b = _book(db, w, w.consultant_ids[0])
    with db.session(write=True) as s:
        co = s.get(Company, w.company_id)
        assert co is not None
        co.attempts += 1  # queue bookkeeping: not shown in the event
        co.phones = list(co.phones)  # the same value
        s.add(co)
        s.flush()
        assert not s.info.get(BUMPED_KEY)
    with pytest.raises(RuntimeError), db.session(write=True) as s:
        co = s.get(Company, w.company_id)
        assert co is not None
        co.city = "Roskilde"
        s.add(co)
        s.flush()
        raise RuntimeError
    with db.session() as s:
        again = s.get(Booking, b.id)
        assert again is not None and again.sequence == 0
        assert BUMPED_KEY not in s.info


def test_booking_contact_and_campaign_name_bump_once_and_cancelled_visits_stay(
    db: Database,
) -> None:
    w = make_world(db)
    b = _book(db, w, w.consultant_ids[0])
    other = bk.book_visit(
        db=db,
        company_id=w.other_company_id,
        consultant_id=w.consultant_ids[1],
        start=at("2027-03-31", "09:00"),
        booked_by="t1",
        now=NOW,
    )
    bk.cancel_booking(
        db=db,
        booking_id=other.id or 0,
        reason=CancelReason.CONSULTANT_CANCELLED,
        actor="t",
        now=NOW,
    )
    with db.session(write=True) as s:
        booking = s.get(Booking, b.id)
        assert booking is not None
        booking.contact_person = "Ny Kontakt"
        s.add(booking)
    with db.session() as s:
        got = s.get(Booking, b.id)
        assert got is not None and got.sequence == 1
    # a move raises SEQUENCE itself: a contact change in the same flush adds nothing
    with db.session(write=True) as s:
        booking = s.get(Booking, b.id)
        assert booking is not None
        booking.sequence += 1
        booking.contact_email = "ny@firma.dk"
        s.add(booking)
    with db.session(write=True) as s:
        camp = s.get(Campaign, w.campaign_id)
        assert camp is not None
        camp.name = "Efterår 2027"
        s.add(camp)
    with db.session() as s:
        rows = {i: n for i, n in s.execute(sa.select(Booking.id, Booking.sequence)).all()}
    assert rows[b.id] == 3  # contact, move, campaign name
    assert rows[other.id] == 1  # cancelled: only the cancellation
    event = _event(db, w.consultant_ids[0])
    assert "Kampagne: Efterår 2027" in str(event["DESCRIPTION"])
    assert int(event["SEQUENCE"]) == 3
    assert event["LAST-MODIFIED"].dt > NOW - dt.timedelta(seconds=1)

"""Undo of a call that booked a visit (issue 14): the outcome goes, the booking is
withdrawn as "fejlbooking" (no report counts it), and a CANCEL goes only to whoever
already got the invitation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from phoner.core import outbox
from phoner.core import reminders as rem
from phoner.core.booking import service as bk
from phoner.core.db import Database
from phoner.core.mail import EmlFolder
from phoner.core.models import (
    Booking,
    BookingStatus,
    CallAttempt,
    CancelReason,
    Company,
    Consultant,
    Delivery,
    FollowUp,
    OutboxMessage,
    Outcome,
)
from phoner.core.queue.claims import claim_next
from phoner.core.queue.outcomes import record_outcome
from phoner.core.queue.undo import undo_outcome
from phoner.core.reports.common import counted_booking
from tests.support.imip import open_invitation
from tests.support.worlds import MONDAY_10, make_campaign

FIRMA = "firma@firma.dk"


def _booked_call(db: Database, delivery: Delivery = Delivery.INVITATION) -> tuple[int, int]:
    """(attempt id, booking id): a call recorded as "vil kontaktes" with a visit booked."""
    setup = make_campaign(db, 1)
    with db.session(write=True) as s:
        company = s.exec(select(Company)).one()
        company.email = FIRMA
        consultant = s.exec(select(Consultant)).one()
        consultant.delivery = delivery
    c = claim_next(db=db, campaign_id=setup.campaign_id, phoner="a", now=MONDAY_10)
    assert c is not None
    attempt = record_outcome(
        db=db,
        company_id=c.company_id,
        lease_token=c.lease_token,
        phoner="a",
        outcome=Outcome.VIL_KONTAKTES,
        answers={},
        needs={},
        note=None,
        now=MONDAY_10,
    )
    assert attempt.id is not None
    with db.session() as s:
        consultant_id = s.exec(select(Consultant.id)).one()
        assert consultant_id is not None
        (slot,) = bk.find_slots(session=s, company_id=c.company_id, now=MONDAY_10, limit=1)
    view = bk.book_visit(
        db=db,
        company_id=c.company_id,
        consultant_id=consultant_id,
        start=slot.start,
        booked_by="a",
        attempt_id=attempt.id,
        now=MONDAY_10 + dt.timedelta(minutes=1),
    )
    return attempt.id, view.id


def _outbox(db: Database) -> list[tuple[str, str, str, int]]:
    with db.session() as s:
        rows = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    return [(r.recipient, str(r.status), *open_invitation(r.message)[:2]) for r in rows]


def _undo(db: Database, attempt_id: int) -> None:
    undo_outcome(db=db, attempt_id=attempt_id, phoner="a", now=MONDAY_10 + dt.timedelta(minutes=3))


def _counted(db: Database) -> int:
    with db.session() as s:
        return int(
            s.execute(
                sa.select(sa.func.count(col(Booking.id))).where(counted_booking())
            ).scalar_one()
        )


def test_undo_withdraws_an_unsent_booking_without_a_word(db: Database) -> None:
    attempt_id, booking_id = _booked_call(db)
    assert [(r[0], r[2]) for r in _outbox(db)] == [
        ("karen@test.dk", "REQUEST"),
        (FIRMA, "REQUEST"),
    ]
    assert _counted(db) == 1
    _undo(db, attempt_id)
    with db.session() as s:
        b = s.get(Booking, booking_id)
        assert b is not None
        assert b.status == BookingStatus.CANCELLED
        assert b.cancel_reason == CancelReason.FEJLBOOKING  # stored and read back
        assert b.attempt_id is None
        assert s.get(CallAttempt, attempt_id) is None
        assert s.exec(select(FollowUp)).all() == []
    assert _outbox(db) == []  # nothing had left: nothing leaves
    assert _counted(db) == 0  # no report counts it, not as a cancellation either


def test_undo_after_the_invitations_left_sends_the_cancel(db: Database, tmp_path: Path) -> None:
    attempt_id, _ = _booked_call(db)
    sent = outbox.send_due(db, EmlFolder(tmp_path), now=MONDAY_10 + dt.timedelta(minutes=2))
    assert len(sent.sent) == 2
    _undo(db, attempt_id)
    got = _outbox(db)
    assert got[2:] == [("karen@test.dk", "queued", "CANCEL", 1), (FIRMA, "queued", "CANCEL", 1)]
    with db.session() as s:
        subjects = [
            r.subject for r in s.exec(select(OutboxMessage).where(col(OutboxMessage.id) > 2)).all()
        ]
    assert all(subject.startswith("Trukket tilbage") for subject in subjects)


@pytest.mark.parametrize("delivery", [Delivery.FEED, Delivery.INVITATION])
def test_no_change_notice_for_a_withdrawn_booking(sqlite_db: Database, delivery: Delivery) -> None:
    attempt_id, _ = _booked_call(sqlite_db, delivery)
    _undo(sqlite_db, attempt_id)
    with sqlite_db.session() as s:
        due, _ = rem.due_messages(session=s, now=MONDAY_10 + dt.timedelta(minutes=4))
    assert [m for m in due if m.kind == "notice"] == []

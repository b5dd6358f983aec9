"""Undo: take back the phoner's last outcome within a few minutes and call again."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlmodel import Session, col, select

from phoner.core import audit, blocks, notify
from phoner.core.booking.writes import cancel, lock_booking
from phoner.core.db import Database
from phoner.core.errors import Conflict, NotFound
from phoner.core.models import (
    AuditLog,
    Booking,
    BookingStatus,
    CallAttempt,
    Campaign,
    CancelReason,
    Company,
    ContactHistory,
    FollowUp,
    FollowUpKind,
)
from phoner.core.queue._common import now_utc
from phoner.core.queue.claims import LEASE, Claim, claim_reason
from phoner.core.queue.outcomes import restore_snapshot

#: The default undo window; a campaign sets its own (``Campaign.undo_minutes``).
UNDO_WINDOW = dt.timedelta(minutes=5)


def _reopen_followups(session: Session, booking: Booking) -> None:
    """The "call the company" follow-ups the booking closed are open again (those of the
    undone call are then deleted with it)."""
    mark = f"(nr. {booking.id})."
    for fu in session.exec(
        select(FollowUp).where(
            FollowUp.company_id == booking.company_id,
            FollowUp.kind == FollowUpKind.CALL_COMPANY,
            col(FollowUp.done_at).is_not(None),
            FollowUp.done_by == booking.booked_by,
        )
    ).all():
        if (fu.note or "").endswith(mark):
            fu.done_at = None
            fu.done_by = None
            fu.note = None
            session.add(fu)


def _withdraw_bookings(session: Session, attempt_id: int, phoner: str, moment: dt.datetime) -> None:
    """The visit booked in the call being undone was a mistake: it is cancelled as
    ``fejlbooking`` (no report counts it), its unsent invitations are dropped and whoever
    already got one gets the CANCEL (:func:`phoner.core.notify.booking_withdrawn`). The
    bookings no longer point to the attempt, which the undo deletes."""
    for booking in session.exec(select(Booking).where(Booking.attempt_id == attempt_id)).all():
        assert booking.id is not None
        if booking.status == BookingStatus.BOOKED:
            locked = lock_booking(session, booking.id)
            cancel(session, locked, CancelReason.FEJLBOOKING, phoner, moment, note="fortrudt")
            session.flush()
            notify.booking_withdrawn(session, booking_id=booking.id, now=moment)
            _reopen_followups(session, booking)
        booking.attempt_id = None
        session.add(booking)
    session.flush()


def undo_outcome(
    *,
    db: Database,
    attempt_id: int,
    phoner: str,
    window: dt.timedelta | None = None,
    now: dt.datetime | None = None,
) -> Claim:
    """Take back the phoner's last outcome within ``window`` (default: the campaign's
    ``undo_minutes``) and give the company back.

    The company's queue state is restored to what it was before the call, the attempt
    (and the contact history / open follow-up it created) is deleted, the undo is
    audited, and the phoner gets the company again with a fresh lease.
    """
    moment = now_utc(now)
    with db.session(write=True) as session:
        attempt = session.get(CallAttempt, attempt_id)
        if attempt is None:
            raise NotFound("Opkaldet findes ikke længere (måske er det allerede fortrudt).")
        if attempt.phoner != phoner:
            raise Conflict(
                f"Opkaldet blev registreret af {attempt.phoner}; du kan kun fortryde dine egne."
            )
        if window is None:
            campaign = session.get(Campaign, attempt.campaign_id)
            window = dt.timedelta(minutes=campaign.undo_minutes) if campaign else UNDO_WINDOW
        if moment - attempt.ended_at > window:
            minutes = int(window.total_seconds() // 60)
            raise Conflict(
                f"Udfaldet kan kun fortrydes i {minutes} minutter efter opkaldet.",
                hint="Ring virksomheden op igen, eller bed koordinatoren rette udfaldet.",
            )
        stmt = select(Company).where(Company.id == attempt.company_id)
        if not db.is_sqlite:
            stmt = stmt.with_for_update()
        company = session.exec(stmt).one()
        newer = session.exec(
            select(CallAttempt.id).where(
                CallAttempt.company_id == company.id, col(CallAttempt.id) > attempt_id
            )
        ).first()
        if newer is not None:
            raise Conflict(
                "Der er ringet til virksomheden igen siden; udfaldet kan ikke fortrydes."
            )
        if (
            company.lease_holder is not None
            and company.lease_expires_at is not None
            and company.lease_expires_at >= moment
            and company.lease_holder != phoner
        ):
            raise Conflict(
                f"{company.lease_holder} har virksomheden lige nu; udfaldet kan ikke fortrydes."
            )
        _withdraw_bookings(session, attempt_id, phoner, moment)
        entry = session.exec(
            select(AuditLog)
            .where(
                AuditLog.entity == "callattempt",
                AuditLog.entity_id == attempt_id,
                AuditLog.action == "record_outcome",
            )
            .order_by(col(AuditLog.id).desc())
        ).first()
        if entry is None or entry.old is None:
            raise Conflict("Opkaldet kan ikke fortrydes (det blev ikke registreret herfra).")
        new = entry.new or {}
        restore_snapshot(company, entry.old)
        for fu in session.exec(
            select(FollowUp).where(
                FollowUp.attempt_id == attempt_id, col(FollowUp.done_at).is_(None)
            )
        ).all():
            session.delete(fu)
        blocks.undo_from_call(session=session, attempt_id=attempt_id, actor=phoner)
        if new.get("contact_history_id"):
            history = session.get(ContactHistory, new["contact_history_id"])
            if history is not None:
                session.delete(history)
        session.flush()
        done_followup = session.exec(
            select(FollowUp.id).where(FollowUp.attempt_id == attempt_id)
        ).first()
        if done_followup is not None:
            raise Conflict(
                "En konsulent har allerede afsluttet opfølgningen på dette opkald; "
                "udfaldet kan ikke fortrydes."
            )
        token = secrets.token_hex(16)
        expires = moment + LEASE
        company.lease_holder = phoner
        company.lease_token = token
        company.lease_expires_at = expires
        company.lease_since = moment
        company.updated_at = moment
        session.add(company)
        audit.record(
            session,
            actor=phoner,
            action="undo_outcome",
            entity="callattempt",
            entity_id=attempt_id,
            campaign_id=company.campaign_id,
            old={
                "company_id": company.id,
                "outcome": attempt.outcome.value,
                # personal data never goes into the audit log (it outlives the data)
                "note": audit.PERSONAL_MARK if attempt.note else None,
                "answers": audit.PERSONAL_MARK if attempt.answers else None,
                "needs": audit.PERSONAL_MARK if attempt.needs else None,
                "ended_at": attempt.ended_at.isoformat(),
            },
            new=dict(entry.old),
        )
        session.delete(attempt)
        assert company.id is not None
        state = company.call_state
    return Claim(company.id, token, expires, claim_reason(state))

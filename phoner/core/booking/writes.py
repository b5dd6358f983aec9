"""Booking building blocks: book, move and cancel a visit in a caller's ``session``.

They never commit: the use cases in :mod:`phoner.core.booking.service` own the
transaction (and a bigger use case may compose them in its own).

No double booking: every write re-checks the rules *inside* its transaction after taking
the consultant's lock (SQLite: ``BEGIN IMMEDIATE`` takes the database write lock;
PostgreSQL: ``SELECT ... FOR UPDATE`` on the consultant row), so two phoners can never
book the same consultant into the same time. The database holds the same line on its own
(see :class:`phoner.core.models.Booking`): one live booking per company and campaign
(a partial unique index) and, on PostgreSQL, no overlapping time of one consultant (an
exclusion constraint). A write that breaks one raises :class:`BookingTaken` (see
:mod:`phoner.core.booking.service` for how a use case turns it into the usual refusal).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from phoner.core import audit
from phoner.core.booking.answers import call_details
from phoner.core.booking.loading import Absences, build_planner, get_company
from phoner.core.booking.rules import BookingRefused, Planner, Rule, Violation
from phoner.core.display import format_local
from phoner.core.errors import Conflict, NotFound, VisitNotFound
from phoner.core.models import (
    Booking,
    BookingStatus,
    CancelReason,
    Company,
    Consultant,
    FollowUp,
    FollowUpKind,
)

UID_DOMAIN = "phoner"

#: The names the database gives the guarantees (PostgreSQL names the constraint in the
#: error; SQLite names the columns of the unique index).
_GUARDS = (
    "uq_booking_live_company",
    "ex_booking_consultant_time",
    "booking.campaign_id, booking.company_id",
)


class BookingTaken(Conflict):
    """Another phoner's booking committed between our check and our insert, twice."""

    def __init__(self) -> None:
        super().__init__(
            "Virksomheden eller tiden blev booket af en anden i samme øjeblik.",
            hint="Vis de ledige tider igen og vælg en ny.",
        )


# --------------------------------------------------------------------------- helpers


def _lock_consultant(session: Session, consultant_id: int) -> Consultant:
    """Serialise bookings of one consultant (SQLite already holds the write lock)."""
    query = select(Consultant).where(Consultant.id == consultant_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    consultant = session.exec(query).first()
    if consultant is None:
        raise NotFound(f"Konsulenten med id {consultant_id} findes ikke.")
    return consultant


def lock_booking(session: Session, booking_id: int) -> Booking:
    query = select(Booking).where(Booking.id == booking_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    booking = session.exec(query).first()
    if booking is None:
        raise VisitNotFound(f"Besøget med nummer {booking_id} findes ikke.")
    return booking


def _snapshot(b: Booking) -> dict[str, Any]:
    return {
        "consultant_id": b.consultant_id,
        "start": b.start.isoformat(),
        "end": b.end.isoformat(),
        "status": b.status.value,
        "sequence": b.sequence,
    }


def _times(consultant: Consultant, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The visit's end and the end of the consultant time it blocks (travel buffer)."""
    end = start + dt.timedelta(minutes=consultant.visit_minutes)
    return end, end + dt.timedelta(minutes=consultant.travel_buffer_minutes)


def _company_booked(
    session: Session, company: Company, now: dt.datetime, exclude: int | None = None
) -> Booking | None:
    q = select(Booking).where(
        Booking.company_id == company.id,
        Booking.status == BookingStatus.BOOKED,
        col(Booking.end) > now,
    )
    if exclude is not None:
        q = q.where(Booking.id != exclude)
    return session.exec(q).first()


def _retire_ended(session: Session, company: Company, now: dt.datetime) -> None:
    """A company's booked visits that have ended stop being live, so it may be booked
    again (the unique index counts booked, live visits only)."""
    for ended in session.exec(
        select(Booking).where(
            Booking.campaign_id == company.campaign_id,
            Booking.company_id == company.id,
            Booking.status == BookingStatus.BOOKED,
            col(Booking.live).is_(True),
            col(Booking.end) <= now,
        )
    ).all():
        ended.live = False
        session.add(ended)


def is_guard_violation(exc: IntegrityError) -> bool:
    """The error is one of the booking guarantees the database holds (see the module)."""
    return any(guard in str(exc.orig) for guard in _GUARDS)


def flush(session: Session) -> None:
    """Flush; a violated booking guarantee becomes :class:`BookingTaken`."""
    try:
        session.flush()
    except IntegrityError as exc:
        if is_guard_violation(exc):
            raise BookingTaken() from exc
        raise


# --------------------------------------------------------------------------- book


def book(
    session: Session,
    *,
    company_id: int,
    consultant_id: int,
    start: dt.datetime,
    booked_by: str,
    now: dt.datetime,
    absences: Absences | None = None,
    attempt_id: int | None = None,
    contact_person: str | None = None,
    contact_email: str | None = None,
    contact_mobile: str | None = None,
    workspace: Path | None = None,
) -> Booking:
    """Book a visit in ``session`` (never commits); refused with :class:`BookingRefused`.

    The rules are checked after locking the consultant, so a slot taken by another phoner
    a moment ago is refused, never double-booked. Contact details must be clean
    (:func:`book_visit` cleans them).
    """
    consultant = _lock_consultant(session, consultant_id)
    company = get_company(session, company_id)
    planner = build_planner(
        session=session,
        company=company,
        now=now,
        extra_consultant_ids=[consultant_id],
        absences=absences,
    )
    violation = planner.violation(consultant_id, start)
    if violation is not None:
        raise planner.refuse(violation, consultant_id, start)
    existing = _company_booked(session, company, now)
    if existing is not None:
        raise _already_booked(company, existing, planner)
    _retire_ended(session, company, now)
    end, blocked_end = _times(consultant, start)
    booking = Booking(
        uid=f"{uuid.uuid4()}@{UID_DOMAIN}",
        campaign_id=company.campaign_id,
        company_id=company_id,
        consultant_id=consultant_id,
        attempt_id=attempt_id,
        start=start,
        end=end,
        blocked_end=blocked_end,
        booked_by=booked_by,
        created_at=now,
        modified_at=now,
        contact_person=(contact_person or company.contact_person or None),
        contact_email=contact_email or company.email,
        contact_mobile=contact_mobile,
        details=call_details(session, company, attempt_id, workspace),
    )
    session.add(booking)
    flush(session)
    _close_call_followups(session, company, booking, booked_by, now)
    audit.record(
        session,
        actor=booked_by,
        action="book",
        entity="booking",
        entity_id=booking.id,
        campaign_id=company.campaign_id,
        new=_snapshot(booking),
    )
    return booking


def _already_booked(company: Company, existing: Booking, planner: Planner) -> BookingRefused:
    return BookingRefused(
        Violation(
            Rule.COMPANY_BOOKED,
            f"{company.name} har allerede et besøg {format_local(existing.start)} "
            f"(nr. {existing.id}). Flyt det i stedet.",
        ),
        nearest=None,
        first=planner.first(),
    )


def _close_call_followups(
    session: Session, company: Company, booking: Booking, actor: str, now: dt.datetime
) -> None:
    """A booked visit answers every open "call the company" follow-up."""
    for fu in session.exec(
        select(FollowUp).where(
            FollowUp.company_id == company.id,
            FollowUp.kind == FollowUpKind.CALL_COMPANY,
            col(FollowUp.done_at).is_(None),
        )
    ).all():
        close_answered_followup(
            session,
            fu,
            actor=actor,
            now=now,
            note=f"Besøg booket {format_local(booking.start)} (nr. {booking.id}).",
            reason="besøg booket",
        )


def close_answered_followup(
    session: Session, fu: FollowUp, *, actor: str, now: dt.datetime, note: str, reason: str
) -> None:
    """Close a "call the company" follow-up a booked visit answered (audited); phoner's
    own bookings and the bookings import close them alike."""
    fu.done_at = now
    fu.done_by = actor
    fu.note = note
    session.add(fu)
    audit.record(
        session,
        actor=actor,
        action="close",
        entity="followup",
        entity_id=fu.id,
        campaign_id=fu.campaign_id,
        reason=reason,
    )


# --------------------------------------------------------------------------- move


def move(
    session: Session,
    *,
    booking_id: int,
    start: dt.datetime,
    actor: str,
    now: dt.datetime,
    consultant_id: int | None = None,
    absences: Absences | None = None,
) -> Booking:
    """Move a visit in ``session`` (never commits); returns the booking now in the
    calendar (the same one, or the new one when the consultant changes).

    Moving to another consultant cancels the visit in the first consultant's calendar
    (reason: moved) and books a new one, so each calendar gets a clean change.
    ``absences`` that lack the target consultant (the booking changed hands since they
    were read) are read again here.
    """
    booking = lock_booking(session, booking_id)
    if booking.status != BookingStatus.BOOKED:
        raise Conflict(f"Besøget nr. {booking_id} er aflyst og kan ikke flyttes.")
    target = consultant_id or booking.consultant_id
    for cid in sorted({booking.consultant_id, target}):
        _lock_consultant(session, cid)
    consultant = session.get(Consultant, target)
    assert consultant is not None
    company = get_company(session, booking.company_id)
    if absences is not None and consultant.absence_source and not _covers(absences, target):
        absences = None
    planner = build_planner(
        session=session,
        company=company,
        now=now,
        extra_consultant_ids=[target],
        exclude_booking_id=booking.id,
        absences=absences,
    )
    violation = planner.violation(target, start)
    if violation is not None:
        raise planner.refuse(violation, target, start)
    old = _snapshot(booking)
    end, blocked_end = _times(consultant, start)
    if target == booking.consultant_id:
        booking.start = start
        booking.end = end
        booking.blocked_end = blocked_end
        booking.sequence += 1
        booking.modified_at = max(now, booking.modified_at)
        booking.consultant_notified_at = None
        booking.reminder_sent_at = None
        session.add(booking)
        flush(session)
        audit.record(
            session,
            actor=actor,
            action="move",
            entity="booking",
            entity_id=booking.id,
            campaign_id=booking.campaign_id,
            old=old,
            new=_snapshot(booking),
        )
        return booking
    cancel(session, booking, CancelReason.MOVED, actor, now, note=None)
    flush(session)  # the old visit stops being live before the new one is
    moved = Booking(
        uid=f"{uuid.uuid4()}@{UID_DOMAIN}",
        campaign_id=booking.campaign_id,
        company_id=booking.company_id,
        consultant_id=target,
        attempt_id=booking.attempt_id,
        start=start,
        end=end,
        blocked_end=blocked_end,
        booked_by=actor,
        created_at=now,
        modified_at=now,
        contact_person=booking.contact_person,
        contact_email=booking.contact_email,
        contact_mobile=booking.contact_mobile,
        details={**booking.details, "moved_from": booking.id},
    )
    session.add(moved)
    flush(session)
    audit.record(
        session,
        actor=actor,
        action="book",
        entity="booking",
        entity_id=moved.id,
        campaign_id=moved.campaign_id,
        new=_snapshot(moved),
        reason=f"flyttet fra besøg nr. {booking.id}",
    )
    return moved


def _covers(absences: Absences, consultant_id: int) -> bool:
    busy, broken = absences
    return consultant_id in busy or consultant_id in broken


# --------------------------------------------------------------------------- cancel


def cancel(
    session: Session,
    booking: Booking,
    reason: CancelReason,
    actor: str,
    now: dt.datetime,
    note: str | None,
) -> None:
    """Cancel ``booking`` in ``session`` (never commits): it leaves the feed, and the
    company may be booked again."""
    old = _snapshot(booking)
    booking.status = BookingStatus.CANCELLED
    booking.cancel_reason = reason
    booking.sequence += 1
    booking.modified_at = max(now, booking.modified_at)
    booking.consultant_notified_at = None
    session.add(booking)
    audit.record(
        session,
        actor=actor,
        action="cancel",
        entity="booking",
        entity_id=booking.id,
        campaign_id=booking.campaign_id,
        old=old,
        new=_snapshot(booking),
        reason=f"{reason.value}: {note}" if note else reason.value,
    )

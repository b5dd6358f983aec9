"""Booking use cases: find slots, book, move and cancel a visit under the booking rules.

Who owns the transaction: the use cases here (:func:`book_visit`, :func:`move_booking`,
:func:`cancel_booking`) take the :class:`Database`, open exactly one write unit of work,
compose the building blocks of :mod:`phoner.core.booking.writes` (which take a
``session`` and never commit) and return a frozen :class:`BookingView`, never an ORM row.

A lost race is the usual refusal: two phoners booking the same company with *different*
consultants lock different rows, so on PostgreSQL both rule checks can pass; the second
insert then violates the database's guarantee (:class:`~.writes.BookingTaken`), and the
use case runs once more in a new transaction, whose check now sees the first booking
and refuses with the same "allerede booket" message as always.

Every write queues its invitation e-mails in the same unit of work
(:func:`phoner.core.notify.booking_changed`): a booking that commits has its messages in
the outbox, a rolled-back one has none.

Absence calendars are read before the unit of work, from the consultants' settings only
(network I/O under the write lock would stall every other phoner); the unit of work reads
all booking state itself and reads a calendar again if the booking changed hands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlmodel import Session, col, select

from phoner.core import audit, notify
from phoner.core.booking.listing import BookingView
from phoner.core.booking.loading import (
    Absences,
    build_planner,
    company_jobcenter_id,
    get_company,
    preload_absence,
)
from phoner.core.booking.rules import Slot, Violation, not_bookable
from phoner.core.booking.writes import BookingTaken, book, cancel, lock_booking, move
from phoner.core.consultants import email_is_valid
from phoner.core.db import Database
from phoner.core.errors import Conflict, InvalidInput, NotFound
from phoner.core.invitations import Change
from phoner.core.models import (
    Booking,
    BookingStatus,
    Campaign,
    CancelReason,
    Consultant,
    utcnow,
)
from phoner.core.phones import parse_phone

# --------------------------------------------------------------------------- reads


def find_slots(
    *,
    session: Session,
    company_id: int,
    now: dt.datetime | None = None,
    limit: int = 10,
    day: dt.date | None = None,
    consultant_id: int | None = None,
) -> list[Slot]:
    """The first free slots for a company, earliest first across its consultants."""
    now = now or utcnow()
    company = get_company(session, company_id)
    planner = build_planner(session=session, company=company, now=now)
    out: list[Slot] = []
    for slot in planner.slots(day=day, consultant_id=consultant_id):
        out.append(slot)
        if len(out) >= limit:
            break
    return out


def check_request(
    *,
    session: Session,
    company_id: int,
    consultant_id: int,
    start: dt.datetime,
    now: dt.datetime | None = None,
) -> Violation | None:
    """The rule a booking request would break (None: it would be accepted now)."""
    now = now or utcnow()
    company = get_company(session, company_id)
    planner = build_planner(
        session=session, company=company, now=now, extra_consultant_ids=[consultant_id]
    )
    return planner.violation(consultant_id, start)


def company_consultants(*, session: Session, company_id: int) -> list[Consultant]:
    """The active consultants a company's visit may be booked with, by name."""
    company = get_company(session, company_id)
    campaign = session.get(Campaign, company.campaign_id)
    query = select(Consultant).where(col(Consultant.active).is_(True))
    if campaign is None or not campaign.any_jobcenter:
        query = query.where(Consultant.jobcenter_id == company_jobcenter_id(session, company))
    return list(session.exec(query.order_by(col(Consultant.name))).all())


# --------------------------------------------------------------------------- writes


def _clean_contact(
    contact_email: str | None, contact_mobile: str | None
) -> tuple[str | None, str | None]:
    email = contact_email.strip() if contact_email else None
    if email and not email_is_valid(email):
        raise InvalidInput(
            f"E-mailadressen {email!r} ser forkert ud.",
            hint="Skriv den som navn@firma.dk, eller lad feltet stå tomt.",
        )
    mobile = None
    if contact_mobile and contact_mobile.strip():
        mobile = parse_phone(contact_mobile)
        if mobile is None:
            raise InvalidInput(
                f"Mobilnummeret {contact_mobile!r} er ikke et gyldigt telefonnummer.",
                hint="Skriv fx 20 12 34 56 eller +45 20 12 34 56.",
            )
    return email, mobile


def _one_unit_of_work(db: Database, write: Callable[[Session], Booking]) -> BookingView:
    """Run ``write`` in one write transaction and return its booking as a view.

    A rival that committed between ``write``'s rule check and its insert makes the insert
    violate a database guarantee; ``write`` then runs once more in a new transaction,
    where its check sees the rival and refuses with the same message as always.
    """
    try:
        with db.session(write=True) as session:
            return BookingView.of(write(session))
    except BookingTaken:
        pass
    with db.session(write=True) as session:
        return BookingView.of(write(session))


def book_visit(
    *,
    db: Database,
    company_id: int,
    consultant_id: int,
    start: dt.datetime,
    booked_by: str,
    attempt_id: int | None = None,
    contact_person: str | None = None,
    contact_email: str | None = None,
    contact_mobile: str | None = None,
    now: dt.datetime | None = None,
    workspace: Path | None = None,
    anyway: bool = False,
) -> BookingView:
    """Book a visit; refused with :class:`BookingRefused` if it breaks a rule.

    A company the jobcenter removed in clearing or one outside the target group is
    refused with :class:`~phoner.core.errors.CompanyNotBookable`; ``anyway`` books it
    as ``booked_by``'s deliberate exception, with an audit entry saying why.
    A relative campaign script path is read from ``workspace`` (default: the current
    directory) to store the call's answers as question and answer texts.
    """
    now = now or utcnow()
    if start.tzinfo is None:
        raise ValueError("naive start time; use timezone-aware UTC")
    start = start.astimezone(dt.UTC)
    email, mobile = _clean_contact(contact_email, contact_mobile)
    absences = _absences(db, company_id, [consultant_id], now)

    def write(session: Session) -> Booking:
        refusal = not_bookable(get_company(session, company_id))
        if refusal is not None and not anyway:
            raise refusal
        booking = book(
            session,
            company_id=company_id,
            consultant_id=consultant_id,
            start=start,
            booked_by=booked_by,
            now=now,
            absences=absences,
            attempt_id=attempt_id,
            contact_person=contact_person,
            contact_email=email,
            contact_mobile=mobile,
            workspace=workspace,
        )
        if refusal is not None:
            audit.record(
                session,
                actor=booked_by,
                action="book_exception",
                entity="booking",
                entity_id=booking.id,
                campaign_id=booking.campaign_id,
                reason=refusal.message,
            )
        assert booking.id is not None
        notify.booking_changed(session, booking_id=booking.id, change=Change.BOOK, now=now)
        return booking

    return _one_unit_of_work(db, write)


def _absences(
    db: Database, company_id: int, consultant_ids: Sequence[int], now: dt.datetime
) -> Absences:
    """The absence calendars a booking of the company may need, read before the unit of
    work (they come from consultants' settings, not from booking state)."""
    with db.session() as session:
        return preload_absence(session, consultant_ids, get_company(session, company_id), now)


def move_booking(
    *,
    db: Database,
    booking_id: int,
    start: dt.datetime,
    actor: str,
    consultant_id: int | None = None,
    now: dt.datetime | None = None,
) -> BookingView:
    """Move a visit to a new time (same UID, SEQUENCE raised), under the same rules, in
    one unit of work (see :func:`move`)."""
    now = now or utcnow()
    start = start.astimezone(dt.UTC)
    with db.session() as session:
        found = session.exec(
            select(Booking.company_id, Booking.consultant_id).where(Booking.id == booking_id)
        ).first()
        if found is None:
            raise NotFound(f"Besøget med nummer {booking_id} findes ikke.")
        company_id, current = found
        company = get_company(session, company_id)
        absences = preload_absence(session, [consultant_id or current], company, now)

    def write(session: Session) -> Booking:
        booking = move(
            session,
            booking_id=booking_id,
            start=start,
            actor=actor,
            now=now,
            consultant_id=consultant_id,
            absences=absences,
        )
        assert booking.id is not None
        handover = booking.id != booking_id
        notify.booking_changed(
            session,
            booking_id=booking.id,
            change=Change.HANDOVER if handover else Change.MOVE,
            now=now,
            previous_booking_id=booking_id if handover else None,
        )
        return booking

    return _one_unit_of_work(db, write)


def cancel_booking(
    *,
    db: Database,
    booking_id: int,
    reason: CancelReason,
    actor: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> BookingView:
    """Cancel a visit: it leaves the consultant's feed, consultant and company get a
    CANCEL (a consultant on ``feed`` a notice instead)."""
    now = now or utcnow()
    with db.session(write=True) as session:
        booking = lock_booking(session, booking_id)
        if booking.status == BookingStatus.CANCELLED:
            raise Conflict(f"Besøget nr. {booking_id} er allerede aflyst.")
        cancel(session, booking, reason, actor, now, note)
        session.flush()
        notify.booking_changed(session, booking_id=booking_id, change=Change.CANCEL, now=now)
        return BookingView.of(booking)

"""Follow-ups: the promises made to a company, with an owner and a due date.

Two kinds are created automatically or on purpose:

- a *call* follow-up for every ``vil_kontaktes`` without a booked visit: a consultant of
  the company's own jobcenter should call the company within the campaign's
  ``followup_due_days`` working days (weekends and Danish public holidays skipped);
- an *agreement* follow-up for something promised at a visit, with owner and due date.

Overdue follow-ups (not done, due date before today in Copenhagen) come first in every
list: the evaluations found forgotten promises were what upset companies most.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from phoner.core import audit, workdays
from phoner.core.clock import local_date
from phoner.core.companies import companies_with_cvr
from phoner.core.display import format_stamp
from phoner.core.errors import AgreementNotFound, Conflict, FollowUpNotFound, InvalidInput, NotFound
from phoner.core.models import (
    Agreement,
    AgreementCategory,
    Booking,
    BookingStatus,
    CallAttempt,
    Campaign,
    Company,
    Consultant,
    FollowUp,
    FollowUpKind,
    Jobcenter,
    Outcome,
    VisitResult,
    utcnow,
)

# --------------------------------------------------------------------------- working days


# --------------------------------------------------------------------------- create


def _pick_consultant(session: Session, jobcenter_id: int | None) -> Consultant | None:
    """The active consultant of the jobcenter with the fewest open follow-ups."""
    if jobcenter_id is None:
        return None
    open_counts = (
        select(FollowUp.consultant_id, func.count(col(FollowUp.id)).label("n"))
        .where(col(FollowUp.done_at).is_(None))
        .group_by(col(FollowUp.consultant_id))
        .subquery()
    )
    row = session.exec(
        select(Consultant)
        .outerjoin(open_counts, open_counts.c.consultant_id == Consultant.id)
        .where(Consultant.jobcenter_id == jobcenter_id, col(Consultant.active).is_(True))
        .order_by(func.coalesce(open_counts.c.n, 0), col(Consultant.id))
    ).first()
    return row


def _has_booked_visit(session: Session, company_id: int) -> bool:
    return (
        session.exec(
            select(Booking.id).where(
                Booking.company_id == company_id, Booking.status == BookingStatus.BOOKED
            )
        ).first()
        is not None
    )


def create_call_followup(
    *,
    session: Session,
    company: Company,
    attempt: CallAttempt,
    campaign: Campaign,
    now: dt.datetime | None = None,
    actor: str | None = None,
) -> FollowUp | None:
    """Create the consultant's call-back task after a ``vil_kontaktes`` without a visit.

    Returns None when no task is needed (another outcome, or a visit is booked). If the
    company already has an open call follow-up, that one is returned (no duplicate).
    The owner is the active consultant of the company's jobcenter with the fewest open
    follow-ups; None if the jobcenter has no consultant (the coordinator assigns one).
    """
    if attempt.outcome != Outcome.VIL_KONTAKTES:
        return None
    assert company.id is not None and campaign.id is not None
    session.flush()  # the attempt/booking being recorded must be visible to the queries
    if _has_booked_visit(session, company.id):
        return None
    existing = session.exec(
        select(FollowUp).where(
            FollowUp.company_id == company.id,
            FollowUp.kind == FollowUpKind.CALL_COMPANY,
            col(FollowUp.done_at).is_(None),
        )
    ).first()
    if existing is not None:
        return existing
    now = now or utcnow()
    consultant = _pick_consultant(session, company.jobcenter_id)
    called = attempt.ended_at or now
    due = workdays.add_working_days(local_date(called), campaign.followup_due_days)
    description = "Ring til virksomheden: den vil kontaktes af en konsulent"
    if company.contact_person:
        description += f" (kontaktperson: {company.contact_person})"
    followup = FollowUp(
        campaign_id=campaign.id,
        company_id=company.id,
        consultant_id=consultant.id if consultant else None,
        kind=FollowUpKind.CALL_COMPANY,
        attempt_id=attempt.id,
        description=description[:500],
        due_date=due,
        created_at=now,
    )
    session.add(followup)
    session.flush()
    audit.record(
        session,
        actor=actor or attempt.phoner,
        action="create",
        entity="followup",
        entity_id=followup.id,
        campaign_id=campaign.id,
        new={
            "kind": followup.kind.value,
            "company_id": company.id,
            "consultant_id": followup.consultant_id,
            "due_date": due.isoformat(),
        },
    )
    return followup


def create_followup(
    *,
    session: Session,
    company: Company,
    due_date: dt.date,
    description: str,
    consultant_id: int | None,
    actor: str,
    kind: FollowUpKind = FollowUpKind.OTHER,
    agreement: Agreement | None = None,
    now: dt.datetime | None = None,
) -> FollowUp:
    """Create a follow-up with an owner and a due date (e.g. promised at a visit)."""
    assert company.id is not None
    description = description.strip()
    if not description:
        raise InvalidInput(
            "En opfølgning skal have en beskrivelse.",
            hint="Skriv hvad der er lovet virksomheden, fx 'Send CV på 2 kandidater'.",
        )
    if consultant_id is not None and session.get(Consultant, consultant_id) is None:
        raise NotFound(f"Konsulent nr. {consultant_id} findes ikke.")
    if agreement is not None:
        kind = FollowUpKind.AGREEMENT
    followup = FollowUp(
        campaign_id=company.campaign_id,
        company_id=company.id,
        consultant_id=consultant_id,
        kind=kind,
        agreement_id=agreement.id if agreement else None,
        description=description[:500],
        due_date=due_date,
        created_at=now or utcnow(),
    )
    session.add(followup)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="followup",
        entity_id=followup.id,
        campaign_id=company.campaign_id,
        new={
            "kind": followup.kind.value,
            "company_id": company.id,
            "consultant_id": consultant_id,
            "agreement_id": followup.agreement_id,
            "due_date": due_date.isoformat(),
            "description": followup.description,
        },
    )
    return followup


def create_agreement_followup(
    *,
    session: Session,
    agreement: Agreement,
    company: Company,
    consultant_id: int | None,
    due_date: dt.date,
    description: str,
    actor: str,
    now: dt.datetime | None = None,
) -> FollowUp:
    """A follow-up for an agreement made at a visit (owner + due date)."""
    return create_followup(
        session=session,
        company=company,
        due_date=due_date,
        description=description,
        consultant_id=consultant_id,
        actor=actor,
        kind=FollowUpKind.AGREEMENT,
        agreement=agreement,
        now=now,
    )


# --------------------------------------------------------------------------- done


def mark_done(
    *,
    session: Session,
    followup_id: int,
    actor: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Mark a follow-up done (by the consultant or their coordinator)."""
    followup = session.get(FollowUp, followup_id)
    if followup is None:
        raise FollowUpNotFound(f"Opfølgning nr. {followup_id} findes ikke.")
    if followup.done_at is not None:
        raise Conflict(
            f"Opfølgning nr. {followup_id} er allerede markeret som udført "
            f"({format_stamp(followup.done_at)} af {followup.done_by}).",
        )
    followup.done_at = now or utcnow()
    followup.done_by = actor
    if note:
        followup.note = note
    session.add(followup)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="done",
        entity="followup",
        entity_id=followup.id,
        campaign_id=followup.campaign_id,
        old={"done_at": None},
        new={"done_at": followup.done_at.isoformat(), "note": note},
    )


def reassign(
    *, session: Session, followup_id: int, consultant_id: int | None, actor: str
) -> FollowUp:
    """Give a follow-up to another consultant (or none)."""
    followup = session.get(FollowUp, followup_id)
    if followup is None:
        raise NotFound(f"Opfølgning nr. {followup_id} findes ikke.")
    if consultant_id is not None and session.get(Consultant, consultant_id) is None:
        raise NotFound(f"Konsulent nr. {consultant_id} findes ikke.")
    old = followup.consultant_id
    followup.consultant_id = consultant_id
    session.add(followup)
    audit.record(
        session,
        actor=actor,
        action="reassign",
        entity="followup",
        entity_id=followup.id,
        campaign_id=followup.campaign_id,
        old={"consultant_id": old},
        new={"consultant_id": consultant_id},
    )
    return followup


# --------------------------------------------------------------------------- list


@dataclass(frozen=True)
class FollowUpRow:
    """A follow-up with what a list shows about it (plain values: no ORM row leaves core)."""

    id: int
    kind: FollowUpKind
    due_date: dt.date
    description: str
    done_at: dt.datetime | None
    company_id: int
    company_name: str
    company_cvr: str | None
    company_phone: str | None
    consultant_id: int | None
    consultant_name: str | None
    jobcenter_name: str | None
    overdue: bool

    @property
    def done(self) -> bool:
        return self.done_at is not None


def list_followups(
    *,
    session: Session,
    campaign_id: int,
    consultant_id: int | None = None,
    jobcenter_id: int | None = None,
    include_done: bool = False,
    only_overdue: bool = False,
    today: dt.date | None = None,
) -> list[FollowUpRow]:
    """Follow-ups of a campaign: overdue first, then by due date (open before done)."""
    today = today or local_date(utcnow())
    is_open = col(FollowUp.done_at).is_(None)
    overdue = and_(is_open, col(FollowUp.due_date) < today)
    query = (
        select(FollowUp, Company, Consultant, Jobcenter)
        .join(Company, col(Company.id) == FollowUp.company_id)
        .outerjoin(Consultant, col(Consultant.id) == FollowUp.consultant_id)
        .outerjoin(Jobcenter, col(Jobcenter.id) == Company.jobcenter_id)
        .where(FollowUp.campaign_id == campaign_id)
    )
    if consultant_id is not None:
        query = query.where(FollowUp.consultant_id == consultant_id)
    if jobcenter_id is not None:
        query = query.where(Company.jobcenter_id == jobcenter_id)
    if only_overdue:
        query = query.where(overdue)
    elif not include_done:
        query = query.where(is_open)
    query = query.order_by(
        case((overdue, 0), (is_open, 1), else_=2),
        col(FollowUp.due_date),
        col(FollowUp.id),
    )
    rows: list[FollowUpRow] = []
    for fu, company, consultant, jobcenter in session.exec(query).all():
        assert fu.id is not None
        rows.append(
            FollowUpRow(
                id=fu.id,
                kind=fu.kind,
                due_date=fu.due_date,
                description=fu.description,
                done_at=fu.done_at,
                company_id=fu.company_id,
                company_name=company.name,
                company_cvr=company.cvr,
                company_phone=company.phones[0] if company.phones else None,
                consultant_id=fu.consultant_id,
                consultant_name=consultant.name if consultant else None,
                jobcenter_name=jobcenter.name if jobcenter else None,
                overdue=fu.done_at is None and fu.due_date < today,
            )
        )
    return rows


def add_followup(
    *,
    session: Session,
    campaign: Campaign,
    due_date: dt.date,
    description: str,
    actor: str,
    consultant_id: int | None = None,
    booking_id: int | None = None,
    cvr: str | None = None,
    category: AgreementCategory | None = None,
) -> FollowUp:
    """A follow-up on a company found by booking (visit) or CVR, optionally for an agreement.

    With ``category`` the follow-up belongs to the agreement in that category registered
    for the visit (``booking_id``, or the company's latest visit with a result). Without an
    owner, the visit's consultant owns it.
    """
    assert campaign.id is not None
    booking: Booking | None = None
    if booking_id is not None:
        booking = session.get(Booking, booking_id)
        if booking is None or booking.campaign_id != campaign.id:
            raise NotFound(f"Besøg (booking) nr. {booking_id} findes ikke i kampagnen.")
        company = session.get(Company, booking.company_id)
    elif cvr:
        found = companies_with_cvr(session=session, campaign_id=campaign.id, cvr=cvr)
        if not found:
            raise NotFound(f"CVR {cvr} findes ikke i kampagnen {campaign.name!r}.")
        if len(found) > 1:
            raise InvalidInput(
                f"CVR {cvr} står flere gange i kampagnen.",
                hint="Angiv besøget i stedet.",
                field="booking",
            )
        company = found[0]
    else:
        raise InvalidInput(
            "Angiv virksomheden: besøgets nummer eller CVR-nummeret.", field="booking_or_cvr"
        )
    assert company is not None and company.id is not None
    agreement: Agreement | None = None
    if category is not None:
        query = (
            select(Agreement, Booking)
            .join(VisitResult, col(VisitResult.id) == Agreement.visit_result_id)
            .join(Booking, col(Booking.id) == VisitResult.booking_id)
            .where(Booking.company_id == company.id, Agreement.category == category)
            .order_by(col(Booking.start).desc())
        )
        if booking is not None:
            query = query.where(Booking.id == booking.id)
        row = session.exec(query).first()
        if row is None:
            raise AgreementNotFound(
                f"Der er ingen aftale om {category.label} registreret for {company.name}.",
                hint="Registrér besøgets resultat med aftalen først.",
            )
        agreement, booking = row
    if consultant_id is None and booking is not None:
        consultant_id = booking.consultant_id
    return create_followup(
        session=session,
        company=company,
        due_date=due_date,
        description=description,
        consultant_id=consultant_id,
        actor=actor,
        kind=FollowUpKind.AGREEMENT if agreement else FollowUpKind.OTHER,
        agreement=agreement,
    )

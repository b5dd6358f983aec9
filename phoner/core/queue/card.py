"""The call view's read model: the company card and the phoner's status line.

Everything here is frozen data read inside one session; the use cases :func:`call_setup`
and :func:`call_view` take the database, open their own (read) unit of work and are what
the call screen's workers call. No ORM row leaves this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from phoner.core.call_scripts import CallScript
from phoner.core.campaigns import campaign_script
from phoner.core.clock import local_date, local_day_bounds
from phoner.core.db import Database
from phoner.core.errors import NotFound
from phoner.core.lists.eligibility import callable_clause
from phoner.core.models import (
    Booking,
    BookingStatus,
    CallAttempt,
    CallState,
    Campaign,
    Company,
    Consultant,
    FollowUp,
    FollowUpKind,
    Jobcenter,
    MeetingStatus,
    NotInterestedReason,
    Outcome,
    Round,
    VisitResult,
)
from phoner.core.queue._common import get_campaign
from phoner.core.queue.hours import Closed, closed_now

_ACTIVE_STATES = (CallState.NEW, CallState.RETRY, CallState.CALLBACK)


@dataclass(frozen=True)
class AttemptLine:
    """One earlier call on the company card."""

    id: int
    at: dt.datetime
    phoner: str
    outcome: Outcome
    note: str | None
    callback_at: dt.datetime | None
    answers: dict[str, Any]
    needs: dict[str, Any]
    source: str
    reason: NotInterestedReason | None = None  # ikke_interesseret: why
    reason_text: str | None = None
    revisit_on: dt.date | None = None  # ikke_nu: when the company expects a need


@dataclass(frozen=True)
class CompanyView:
    """The company as the call view shows it (a snapshot; lists become tuples)."""

    id: int
    name: str
    cvr: str | None
    phones: tuple[str, ...]
    contact_person: str | None
    email: str | None
    address: str | None
    postcode: str | None
    city: str | None
    municipality: str | None
    employees: int | None
    industry: str | None
    industry_code: str | None
    flags: tuple[str, ...]
    attempts: int  # calls so far (the "retry" banner says which one this is)

    @classmethod
    def of(cls, c: Company) -> CompanyView:
        assert c.id is not None
        return cls(
            id=c.id,
            name=c.name,
            cvr=c.cvr,
            phones=tuple(c.phones),
            contact_person=c.contact_person,
            email=c.email,
            address=c.address,
            postcode=c.postcode,
            city=c.city,
            municipality=c.municipality,
            employees=c.employees,
            industry=c.industry,
            industry_code=c.industry_code,
            flags=tuple(c.flags),
            attempts=c.attempts,
        )


@dataclass(frozen=True)
class VisitLine:
    """A visit booked with the company (not cancelled), for the card and the booking step."""

    booking_id: int
    start: dt.datetime
    end: dt.datetime
    consultant: str
    booked_by: str
    #: the result the consultant registered (a cancellation may be registered before)
    result: MeetingStatus | None = None


@dataclass(frozen=True)
class FollowUpLine:
    """An open follow-up (a promise to the company) on the card."""

    followup_id: int
    kind: FollowUpKind
    due_date: dt.date
    consultant: str | None
    description: str


#: Where the phoners' corrections of number and contact person are kept (in
#: ``Company.extra``, personal data like the numbers: :mod:`phoner.core.queue.contact`).
HISTORY_KEY = "Tidligere kontaktoplysninger"


@dataclass(frozen=True)
class ContactChangeLine:
    """One correction, as the card shows it: the old values that were replaced."""

    day: dt.date
    by: str
    phone: str | None
    contact_person: str | None
    email: str | None


def contact_history(extra: dict[str, Any]) -> tuple[ContactChangeLine, ...]:
    """The corrections kept in ``Company.extra``, the latest first."""
    out = []
    for item in extra.get(HISTORY_KEY) or []:
        if not isinstance(item, dict):
            continue
        try:
            day = dt.date.fromisoformat(str(item.get("dato")))
        except ValueError:
            continue
        out.append(
            ContactChangeLine(
                day=day,
                by=str(item.get("af") or ""),
                phone=item.get("telefon") or None,
                contact_person=item.get("kontaktperson") or None,
                email=item.get("email") or None,
            )
        )
    return tuple(reversed(out))


@dataclass(frozen=True)
class CompanyCard:
    """Everything the call view shows about the company being called."""

    company: CompanyView
    campaign_name: str
    jobcenter_name: str | None
    round_number: int | None
    attempts: list[AttemptLine]  # newest first
    clearing_notes: list[str]
    wrong_numbers: int  # forkert_nummer attempts so far: phones[wrong_numbers] is next
    #: Booked visits (not cancelled), the latest first: a company with a visit is never
    #: handed over as if nobody had talked to it.
    visits: tuple[VisitLine, ...] = ()
    #: The phoners' corrections of the number or contact person, the latest first
    #: (:mod:`phoner.core.queue.contact`): the old values stay visible.
    contact_changes: tuple[ContactChangeLine, ...] = ()
    #: Open follow-ups, the earliest due first.
    followups: tuple[FollowUpLine, ...] = ()


@dataclass(frozen=True)
class PhonerStats:
    calls_today: int
    outcomes_today: dict[Outcome, int] = field(default_factory=dict)
    left_in_round: int = 0


def company_card(*, session: Session, company_id: int) -> CompanyCard:
    """The card of ``company_id``: the company, earlier calls, visits, open follow-ups."""
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(f"Virksomheden med id {company_id} findes ikke.")
    campaign = get_campaign(session, company.campaign_id)
    jobcenter = session.get(Jobcenter, company.jobcenter_id) if company.jobcenter_id else None
    rnd = session.get(Round, company.round_id) if company.round_id else None
    attempts = session.exec(
        select(CallAttempt)
        .where(CallAttempt.company_id == company_id)
        .order_by(col(CallAttempt.ended_at).desc(), col(CallAttempt.id).desc())
    ).all()
    lines = [
        AttemptLine(
            id=a.id or 0,
            at=a.ended_at,
            phoner=a.phoner,
            outcome=a.outcome,
            note=a.note,
            callback_at=a.callback_at,
            answers=dict(a.answers),
            needs=dict(a.needs),
            source=a.source,
            reason=a.reason,
            reason_text=a.reason_text,
            revisit_on=a.revisit_on,
        )
        for a in attempts
    ]
    notes: list[str] = []
    if company.clearing_proposal is not None:
        notes.append(f"Foreslået fjernet: {company.clearing_proposal.label}")
    if company.clearing_note:
        notes.append(company.clearing_note)
    visits = session.exec(
        select(Booking, Consultant.name, VisitResult.status)
        .join(Consultant, col(Consultant.id) == col(Booking.consultant_id))
        .outerjoin(VisitResult, col(VisitResult.booking_id) == col(Booking.id))
        .where(Booking.company_id == company_id, Booking.status == BookingStatus.BOOKED)
        .order_by(col(Booking.start).desc(), col(Booking.id).desc())
    ).all()
    followups = session.exec(
        select(FollowUp, Consultant.name)
        .outerjoin(Consultant, col(Consultant.id) == col(FollowUp.consultant_id))
        .where(FollowUp.company_id == company_id, col(FollowUp.done_at).is_(None))
        .order_by(col(FollowUp.due_date), col(FollowUp.id))
    ).all()
    return CompanyCard(
        company=CompanyView.of(company),
        campaign_name=campaign.name,
        jobcenter_name=jobcenter.name if jobcenter else None,
        round_number=rnd.number if rnd else None,
        attempts=lines,
        clearing_notes=notes,
        wrong_numbers=sum(1 for a in lines if a.outcome == Outcome.FORKERT_NUMMER),
        visits=tuple(
            VisitLine(
                b.id or 0,
                b.start,
                b.end,
                name,
                b.booked_by,
                MeetingStatus(result) if result is not None else None,
            )
            for b, name, result in visits
        ),
        contact_changes=contact_history(company.extra),
        followups=tuple(
            FollowUpLine(f.id or 0, f.kind, f.due_date, name, f.description)
            for f, name in followups
        ),
    )


def phoner_stats(
    *,
    session: Session,
    campaign_id: int,
    phoner: str,
    day: dt.date,
    round_id: int | None = None,
) -> PhonerStats:
    """The status line: the phoner's calls and outcomes on ``day`` (Copenhagen), and the
    companies still to call in ``round_id`` (or in all active rounds)."""
    start, end = local_day_bounds(day)
    rows = session.exec(
        select(CallAttempt.outcome, func.count())
        .where(
            CallAttempt.campaign_id == campaign_id,
            CallAttempt.phoner == phoner,
            col(CallAttempt.ended_at) >= start,
            col(CallAttempt.ended_at) < end,
        )
        .group_by(col(CallAttempt.outcome))
    ).all()
    outcomes = {Outcome(o): int(n) for o, n in rows}
    where = [callable_clause(campaign_id), col(Company.call_state).in_(_ACTIVE_STATES)]
    if round_id is not None:
        where.append(col(Company.round_id) == round_id)
    left = session.exec(select(func.count()).select_from(Company).where(*where)).one()
    return PhonerStats(
        calls_today=sum(outcomes.values()), outcomes_today=outcomes, left_in_round=int(left)
    )


# --------------------------------------------------------------------------- use cases


@dataclass(frozen=True)
class CallSetup:
    """What the call screen needs once: the script, the campaign's and round's names."""

    script: CallScript
    campaign_name: str
    round_number: int | None  # None: all active rounds (or the round is gone)
    calling_hours: tuple[dt.time, dt.time] = (dt.time(9, 0), dt.time(16, 0))


@dataclass(frozen=True)
class CallView:
    """One refresh of the call screen: the card (None: nothing claimed), the status line,
    and why nobody should be called now (only asked for when nothing was claimed)."""

    card: CompanyCard | None
    stats: PhonerStats
    closed: Closed | None  # why nobody is called now (the TUI words it in its language)


def call_setup(
    *, db: Database, campaign_id: int, round_id: int | None, workspace: Path | None
) -> CallSetup | None:
    """The campaign's script and names; None when the campaign does not exist."""
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            return None
        rnd = session.get(Round, round_id) if round_id is not None else None
        script = campaign_script(campaign, workspace=workspace)
        return CallSetup(
            script,
            campaign.name,
            rnd.number if rnd else None,
            (campaign.calling_start, campaign.calling_end),
        )


def call_view(
    *,
    db: Database,
    campaign_id: int,
    phoner: str,
    company_id: int | None,
    now: dt.datetime,
    round_id: int | None = None,
    check_hours: bool = True,
) -> CallView:
    """The card of ``company_id`` (if any), the phoner's status line, and (nothing
    claimed and ``check_hours``) why it is outside calling hours — in one read."""
    with db.session() as session:
        card = (
            company_card(session=session, company_id=company_id) if company_id is not None else None
        )
        stats = phoner_stats(
            session=session,
            campaign_id=campaign_id,
            phoner=phoner,
            day=local_date(now),
            round_id=round_id,
        )
        reason = None
        if company_id is None and check_hours:
            campaign = session.get(Campaign, campaign_id)
            if campaign is not None:
                reason = closed_now(campaign, now)
    return CallView(card, stats, reason)

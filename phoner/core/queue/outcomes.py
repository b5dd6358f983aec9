"""Record the outcome of a call: the attempt and the company's next place in the queue.

:func:`record_outcome` writes the attempt, the company's next queue state, the contact
history, the follow-up task and the audit entry in ONE transaction, and only if the
phoner still holds the lease (:mod:`phoner.core.queue.claims`). Nothing is half-written.
:func:`apply_outcome` is the same inside the caller's transaction (the outcomes importer).

Queue rules for the next state after an outcome (documented in docs/call-scripts.md):

- substantive outcomes (vil_kontaktes, ikke_interesseret, har_fleksjobbere, har_kontakt)
  and ``lukket`` are final: ``DONE`` with ``final_outcome``;
- ``frabeder_sig_henvendelser`` is final too, and puts the company on the do-not-call
  register in the same transaction (:func:`phoner.core.blocks.record_from_call`);
- ``ring_tilbage`` needs ``callback_at``: ``CALLBACK`` at that time, owned by the phoner;
- ``ikke_truffet`` and ``optaget``: ``RETRY`` after ``retry_minutes[outcome]`` (default
  120 min); once ``attempts`` reaches ``max_attempts`` the company is ``NOT_REACHED``;
- ``forkert_nummer``: if the company has another phone number not yet tried as wrong,
  ``RETRY`` after ``retry_minutes['forkert_nummer']`` (default 0: right away); otherwise
  final (``DONE`` with ``final_outcome = forkert_nummer``). The attempt cap applies too;
- ``ikke_nu`` ("Ikke nu, men senere") needs ``revisit_on``, the day the company expects a
  need: ``CALLBACK`` owned by nobody, due at the start of the calling hours
  :data:`REVISIT_LEAD_DAYS` working days before that day (the next working day at the
  earliest); the queue does not hand it out before.

``ikke_interesseret`` may carry a structured ``reason`` (``andet`` with a text).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from phoner.core import audit, blocks, followups, workdays
from phoner.core.clock import local_date, local_to_utc
from phoner.core.db import Database
from phoner.core.errors import DatabaseError, InvalidInput, NotFound
from phoner.core.models import (
    CallAttempt,
    CallState,
    Campaign,
    Company,
    ContactHistory,
    ContactKind,
    NotInterestedReason,
    Outcome,
)
from phoner.core.queue._common import check_phoner, get_campaign, lost_lease, now_utc

DEFAULT_RETRY_MINUTES = 120
#: "Ikke nu, men senere" comes back this many working days before the revisit day.
REVISIT_LEAD_DAYS = 5


@dataclass(frozen=True)
class RecordedCall:
    """What :func:`record_outcome` stored (plain values: no ORM row leaves core)."""

    id: int  # the CallAttempt's id
    company_id: int
    outcome: Outcome
    callback_at: dt.datetime | None  # the callback booked (UTC): ring_tilbage, ikke_nu


#: Company fields an outcome changes; saved in the audit entry so undo can restore them.
_QUEUE_FIELDS = (
    "call_state",
    "next_call_at",
    "callback_phoner",
    "attempts",
    "last_outcome",
    "final_outcome",
)


def queue_snapshot(company: Company) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    for name in _QUEUE_FIELDS:
        value = getattr(company, name)
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        elif isinstance(value, CallState | Outcome):
            value = value.value
        snap[name] = value
    return snap


def restore_snapshot(company: Company, snap: dict[str, Any]) -> None:
    company.call_state = CallState(snap["call_state"])
    company.next_call_at = (
        dt.datetime.fromisoformat(snap["next_call_at"]) if snap["next_call_at"] else None
    )
    company.callback_phoner = snap["callback_phoner"]
    company.attempts = int(snap["attempts"])
    company.last_outcome = Outcome(snap["last_outcome"]) if snap["last_outcome"] else None
    company.final_outcome = Outcome(snap["final_outcome"]) if snap["final_outcome"] else None


# --------------------------------------------------------------------------- recording


def revisit_call_at(campaign: Campaign, revisit_on: dt.date, moment: dt.datetime) -> dt.datetime:
    """When an "Ikke nu, men senere" company comes back to the phoners (UTC): the start of
    the calling hours :data:`REVISIT_LEAD_DAYS` working days before ``revisit_on``, but
    not before the next working day after ``moment``."""
    day = workdays.subtract_working_days(revisit_on, REVISIT_LEAD_DAYS)
    earliest = workdays.add_working_days(local_date(moment), 1)
    return local_to_utc(max(day, earliest), campaign.calling_start)


def check_details(
    outcome: Outcome,
    reason: NotInterestedReason | None,
    reason_text: str | None,
    revisit_on: dt.date | None,
    moment: dt.datetime,
) -> tuple[NotInterestedReason | None, str | None, dt.date | None]:
    """The reason and revisit day that belong to ``outcome`` (others are dropped);
    :class:`InvalidInput` when one is missing or impossible."""
    reason_text = (reason_text or "").strip() or None
    if outcome != Outcome.IKKE_INTERESSERET:
        reason, reason_text = None, None
    elif reason == NotInterestedReason.ANDET and reason_text is None:
        raise InvalidInput(
            "Årsagen 'Andet' kræver en kort tekst.", hint="Skriv, hvad virksomheden sagde."
        )
    if outcome != Outcome.IKKE_NU:
        return reason, reason_text, None
    if revisit_on is None:
        raise InvalidInput(
            "'Ikke nu, men senere' kræver en dato.",
            hint="Vælg, hvornår virksomheden forventer at have brug for hjælp.",
        )
    if revisit_on <= local_date(moment):
        raise InvalidInput(
            "Datoen for 'Ikke nu, men senere' skal ligge efter i dag.",
            hint="Vælg en dato længere ude, eller brug 'Ring tilbage'.",
        )
    return None, None, revisit_on


def _next_state(
    company: Company,
    campaign: Campaign,
    outcome: Outcome,
    callback_at: dt.datetime | None,
    phoner: str,
    wrong_numbers: int,
    moment: dt.datetime,
) -> None:
    """Apply the queue rules (module docstring) to ``company`` after ``outcome``."""
    company.attempts += 1
    company.last_outcome = outcome
    company.callback_phoner = None
    company.next_call_at = None
    if outcome.substantive or outcome in (Outcome.LUKKET, Outcome.FRABEDER_SIG_HENVENDELSER):
        company.call_state = CallState.DONE
        company.final_outcome = outcome
        return
    if outcome == Outcome.RING_TILBAGE:
        assert callback_at is not None
        company.call_state = CallState.CALLBACK
        company.next_call_at = callback_at
        company.callback_phoner = phoner
        return
    if outcome == Outcome.IKKE_NU:
        assert callback_at is not None
        company.call_state = CallState.CALLBACK
        company.next_call_at = callback_at  # any phoner may take it then
        return
    if outcome == Outcome.FORKERT_NUMMER and wrong_numbers >= len(company.phones):
        company.call_state = CallState.DONE
        company.final_outcome = outcome
        return
    if company.attempts >= campaign.max_attempts:
        company.call_state = CallState.NOT_REACHED
        return
    minutes = campaign.retry_minutes.get(
        outcome.value, 0 if outcome == Outcome.FORKERT_NUMMER else DEFAULT_RETRY_MINUTES
    )
    company.call_state = CallState.RETRY
    company.next_call_at = moment + dt.timedelta(minutes=max(0, int(minutes)))


def record_outcome(
    *,
    db: Database,
    company_id: int,
    lease_token: str,
    phoner: str,
    outcome: Outcome,
    answers: dict[str, Any],
    needs: dict[str, Any],
    note: str | None,
    callback_at: dt.datetime | None = None,
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    source: str = "tui",
    reason: NotInterestedReason | None = None,
    reason_text: str | None = None,
    revisit_on: dt.date | None = None,
) -> RecordedCall:
    """Record one call in one transaction (see the module docstring for the rules)."""
    phoner = check_phoner(phoner)
    moment = now_utc(now)
    note = (note or "").strip() or None
    reason, reason_text, revisit_on = check_details(
        outcome, reason, reason_text, revisit_on, moment
    )
    if outcome == Outcome.RING_TILBAGE:
        if callback_at is None:
            raise InvalidInput(
                "'Ring tilbage' kræver et tidspunkt.", hint="Vælg dato og klokkeslæt."
            )
        if callback_at.tzinfo is None:
            raise ValueError("callback_at must be timezone-aware")
    elif callback_at is not None:
        callback_at = None  # only ring_tilbage books a callback
    try:
        json.dumps([answers, needs])
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            "Svarene eller behovene indeholder en værdi, der ikke kan gemmes; intet er gemt.",
            hint="Ret feltet (tekst, tal eller valg) og prøv igen.",
        ) from exc
    try:
        with db.session(write=True) as session:
            stmt = select(Company).where(col(Company.id) == company_id)
            if not db.is_sqlite:
                stmt = stmt.with_for_update()
            company = session.exec(stmt).first()
            if company is None:
                raise NotFound(f"Virksomheden med id {company_id} findes ikke.")
            if company.lease_token != lease_token:
                raise lost_lease(company.name)
            campaign = get_campaign(session, company.campaign_id)
            attempt = apply_outcome(
                session=session,
                company=company,
                campaign=campaign,
                phoner=phoner,
                outcome=outcome,
                answers=answers,
                needs=needs,
                note=note,
                callback_at=callback_at,
                started_at=started_at,
                ended_at=moment,
                source=source,
                reason=reason,
                reason_text=reason_text,
                revisit_on=revisit_on,
            )
            assert attempt.id is not None
            recorded = RecordedCall(
                id=attempt.id,
                company_id=company_id,
                outcome=outcome,
                callback_at=attempt.callback_at,
            )
    except SQLAlchemyError as exc:
        # translated driver errors (locked, read-only, disk full) arrive as DatabaseError;
        # anything else the database refuses must not reach the phoner as a traceback
        raise DatabaseError(
            "Udfaldet blev ikke gemt: databasen afviste det. Intet er gemt halvt.",
            hint="Prøv igen. Virksomheden er stadig din; sker det igen, så kontakt koordinatoren.",
        ) from exc
    return recorded


def apply_outcome(
    *,
    session: Session,
    company: Company,
    campaign: Campaign,
    phoner: str,
    outcome: Outcome,
    answers: dict[str, Any],
    needs: dict[str, Any],
    note: str | None,
    callback_at: dt.datetime | None,
    started_at: dt.datetime | None,
    ended_at: dt.datetime,
    source: str,
    import_key: str | None = None,
    update_state: bool = True,
    reason: NotInterestedReason | None = None,
    reason_text: str | None = None,
    revisit_on: dt.date | None = None,
) -> CallAttempt:
    """Write one call inside the caller's transaction (record_outcome and the importer).

    Adds the attempt, moves the company to its next queue state (unless
    ``update_state`` is False: an old call imported after newer ones only counts),
    releases the lease, writes contact history for substantive outcomes, creates the
    consultant's follow-up for ``vil_kontaktes`` and an audit entry that undo can use.
    """
    assert company.id is not None
    before = queue_snapshot(company)
    wrong = 0
    if outcome == Outcome.IKKE_NU and revisit_on is not None:
        callback_at = revisit_call_at(campaign, revisit_on, ended_at)
    if outcome == Outcome.FORKERT_NUMMER:
        wrong = 1 + _count_outcome(session, company.id, Outcome.FORKERT_NUMMER)
    attempt = CallAttempt(
        company_id=company.id,
        campaign_id=company.campaign_id,
        round_id=company.round_id,
        phoner=phoner,
        started_at=started_at,
        ended_at=ended_at,
        outcome=outcome,
        answers=dict(answers),
        needs={k: v for k, v in needs.items() if v not in (None, "")},
        note=note,
        callback_at=callback_at.astimezone(dt.UTC) if callback_at else None,
        script_hash=campaign.script_hash,
        source=source,
        import_key=import_key,
        reason=reason,
        reason_text=reason_text,
        revisit_on=revisit_on,
    )
    session.add(attempt)
    if update_state:
        _next_state(company, campaign, outcome, callback_at, phoner, wrong, ended_at)
        company.lease_holder = None
        company.lease_token = None
        company.lease_expires_at = None
        company.lease_since = None
    else:
        company.attempts += 1
    company.updated_at = max(ended_at, company.updated_at)
    session.add(company)
    history: ContactHistory | None = None
    if outcome.substantive and company.cvr:
        history = ContactHistory(
            cvr=company.cvr,
            jobcenter_id=company.jobcenter_id,
            campaign_name=campaign.name,
            contact_date=local_date(ended_at),
            kind=ContactKind.CALL,
            outcome=outcome.value,
        )
        session.add(history)
    session.flush()  # one flush for attempt, company and history: ids for the audit entry
    assert attempt.id is not None
    history_id = history.id if history is not None else None
    block_id: int | None = None
    if outcome == Outcome.FRABEDER_SIG_HENVENDELSER:
        block_id = blocks.record_from_call(
            session=session,
            company=company,
            campaign=campaign,
            attempt=attempt,
            phoner=phoner,
            note=note,
        ).id
    followup_id: int | None = None
    if outcome == Outcome.VIL_KONTAKTES and update_state:
        fu = followups.create_call_followup(
            session=session, company=company, attempt=attempt, campaign=campaign, now=ended_at
        )
        followup_id = fu.id if fu is not None else None
    audit.record(
        session,
        actor=phoner,
        action="record_outcome" if source != "import" else "import_outcome",
        entity="callattempt",
        entity_id=attempt.id,
        campaign_id=company.campaign_id,
        old=before,
        new={
            **queue_snapshot(company),
            "company_id": company.id,
            "contact_history_id": history_id,
            "followup_id": followup_id,
            **({"block_id": block_id} if block_id is not None else {}),
        },
    )
    return attempt


def _count_outcome(session: Session, company_id: int, outcome: Outcome) -> int:
    n = session.exec(
        select(func.count())
        .select_from(CallAttempt)
        .where(CallAttempt.company_id == company_id, CallAttempt.outcome == outcome)
    ).one()
    return int(n)

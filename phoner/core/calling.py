"""The calling queue: hand out the next company, record the outcome, undo it.

Correctness under many phoners at once is the point of this module:

- :func:`claim_next` gives one company to exactly one phoner. The candidate is picked
  with a plain query and then taken with a *conditional* UPDATE (``WHERE id = :id AND the
  lease is free AND the queue state is still what we saw``); a row count of 0 means
  another phoner won the race, and the next candidate is tried. On PostgreSQL the
  candidate query also uses ``FOR UPDATE SKIP LOCKED`` so concurrent claimers do not
  queue behind each other's rows. On SQLite every write transaction starts with
  ``BEGIN IMMEDIATE`` (see :mod:`phoner.core.db`), so claims are serialised and waiting
  writers sit in the busy timeout instead of failing with "database is locked".
- A claim is a *lease* (``lease_minutes``, renewed while the phoner works): a crashed
  terminal frees its company when the lease expires.
- :func:`record_outcome` writes the attempt, the company's next queue state, the contact
  history, the follow-up task and the audit entry in ONE transaction, and only if the
  phoner still holds the lease. Nothing is half-written.

Queue order: due callbacks agreed by this phoner; due callbacks of others once
``callback_grace_minutes`` have passed (or callbacks nobody owns); due retries; new
companies in list order.

Queue rules for the next state after an outcome (documented in docs/call-scripts.md):

- substantive outcomes (vil_kontaktes, ikke_interesseret, har_fleksjobbere, har_kontakt)
  and ``lukket`` are final: ``DONE`` with ``final_outcome``;
- ``ring_tilbage`` needs ``callback_at``: ``CALLBACK`` at that time, owned by the phoner;
- ``ikke_truffet`` and ``optaget``: ``RETRY`` after ``retry_minutes[outcome]`` (default
  120 min); once ``attempts`` reaches ``max_attempts`` the company is ``NOT_REACHED``;
- ``forkert_nummer``: if the company has another phone number not yet tried as wrong,
  ``RETRY`` after ``retry_minutes['forkert_nummer']`` (default 0: right away); otherwise
  final (``DONE`` with ``final_outcome = forkert_nummer``). The attempt cap applies too.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from phoner.core import audit, followups
from phoner.core.db import Database
from phoner.core.errors import Conflict, DatabaseError, InvalidInput, NotFound
from phoner.core.lists.eligibility import callable_clause
from phoner.core.models import (
    AuditLog,
    Booking,
    CallAttempt,
    CallState,
    Campaign,
    Company,
    ContactHistory,
    ContactKind,
    FollowUp,
    Jobcenter,
    Outcome,
    Round,
    UTCDateTime,
    utcnow,
)
from phoner.core.workdays import holiday_name as holiday_name  # re-exported (TUI)

TZ = ZoneInfo("Europe/Copenhagen")
ClaimReason = Literal["callback", "retry", "new"]
DEFAULT_RETRY_MINUTES = 120
UNDO_WINDOW = dt.timedelta(minutes=5)
_CANDIDATES = 4  # candidates fetched per claim attempt (losing a race tries the next)
_CLAIM_ROUNDS = 20  # give up (return None) after this many lost races in a row

#: Company fields an outcome changes; saved in the audit entry so undo can restore them.
_QUEUE_FIELDS = (
    "call_state",
    "next_call_at",
    "callback_phoner",
    "attempts",
    "last_outcome",
    "final_outcome",
)
_ACTIVE_STATES = (CallState.NEW, CallState.RETRY, CallState.CALLBACK)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Claim:
    """A company handed to one phoner until ``expires_at`` (renew with renew_lease)."""

    company_id: int
    lease_token: str
    expires_at: dt.datetime
    reason: ClaimReason


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


@dataclass(frozen=True)
class CompanyCard:
    """Everything the call view shows about the company being called."""

    company: Company
    campaign_name: str
    jobcenter_name: str | None
    round_number: int | None
    attempts: list[AttemptLine]  # newest first
    clearing_notes: list[str]
    wrong_numbers: int  # forkert_nummer attempts so far: phones[wrong_numbers] is next


@dataclass(frozen=True)
class PhonerStats:
    calls_today: int
    outcomes_today: dict[Outcome, int] = field(default_factory=dict)
    left_in_round: int = 0


# --------------------------------------------------------------------------- helpers


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(dt.UTC)


def outside_calling_hours(campaign: Campaign, now: dt.datetime | None = None) -> str | None:
    """Why nobody should be called at ``now`` (Danish), or None inside calling hours.

    Calling hours are the campaign's ``calling_start``-``calling_end`` on weekdays in
    Copenhagen time, never on Danish public holidays nor on the days jobcenters are closed
    (Grundlovsdag, juleaftensdag, nytårsaftensdag; see :mod:`phoner.core.workdays`).
    """
    local = _now(now).astimezone(TZ)
    day = local.date()
    if day.weekday() >= 5:
        return "Der ringes ikke i weekenden."
    name = holiday_name(day)
    if name is not None:
        return f"Der ringes ikke på helligdage ({name})."
    start, end = campaign.calling_start, campaign.calling_end
    if not (start <= local.time().replace(tzinfo=None) < end):
        return f"Ringetiden er {start:%H:%M}-{end:%H:%M} på hverdage."
    return None


def _lease_free(now: dt.datetime | sa.BindParameter[dt.datetime]) -> ColumnElement[bool]:
    return or_(col(Company.lease_holder).is_(None), col(Company.lease_expires_at) < now)


def _get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"Kampagnen med id {campaign_id} findes ikke.")
    return campaign


def _queue_snapshot(company: Company) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    for name in _QUEUE_FIELDS:
        value = getattr(company, name)
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        elif isinstance(value, CallState | Outcome):
            value = value.value
        snap[name] = value
    return snap


def _restore_snapshot(company: Company, snap: dict[str, Any]) -> None:
    company.call_state = CallState(snap["call_state"])
    company.next_call_at = (
        dt.datetime.fromisoformat(snap["next_call_at"]) if snap["next_call_at"] else None
    )
    company.callback_phoner = snap["callback_phoner"]
    company.attempts = int(snap["attempts"])
    company.last_outcome = Outcome(snap["last_outcome"]) if snap["last_outcome"] else None
    company.final_outcome = Outcome(snap["final_outcome"]) if snap["final_outcome"] else None


def _reason(state: CallState) -> ClaimReason:
    if state == CallState.CALLBACK:
        return "callback"
    if state == CallState.RETRY:
        return "retry"
    return "new"


# --------------------------------------------------------------------------- claiming


@lru_cache(maxsize=64)
def _queue_statements(campaign_id: int, by_round: bool, skip_locked: bool) -> tuple[Any, ...]:
    """The four queue queries (module docstring order), built once and reused.

    Values that change per call are bind parameters (now, phoner, grace_due, round_id),
    so a claim costs only the execution, not building and caching the SQL again.
    """
    now = sa.bindparam("now", type_=UTCDateTime())
    grace_due = sa.bindparam("grace_due", type_=UTCDateTime())
    phoner = sa.bindparam("phoner", type_=sa.String())
    base: list[ColumnElement[bool]] = [callable_clause(campaign_id), _lease_free(now)]
    if by_round:
        base.append(col(Company.round_id) == sa.bindparam("round_id", type_=sa.Integer()))
    due = col(Company.next_call_at) <= now
    by_time = [col(Company.next_call_at), col(Company.id)]
    queues: list[list[ColumnElement[bool]]] = [
        # callbacks agreed by this phoner
        [
            col(Company.call_state) == CallState.CALLBACK,
            due,
            col(Company.callback_phoner) == phoner,
        ],
        # others' callbacks after the grace period, and callbacks nobody owns
        [
            col(Company.call_state) == CallState.CALLBACK,
            due,
            or_(col(Company.callback_phoner).is_(None), col(Company.next_call_at) <= grace_due),
        ],
        [col(Company.call_state) == CallState.RETRY, due],
        # new companies in list order (ix_company_new: no sort of the whole list)
        [col(Company.call_state) == CallState.NEW],
    ]
    stmts: list[Any] = []
    for i, where in enumerate(queues):
        order = by_time if i < len(queues) - 1 else [col(Company.id)]
        stmt = (
            sa.select(col(Company.id), col(Company.call_state), col(Company.attempts))
            .where(*base, *where)
            .order_by(*order)
            .limit(_CANDIDATES)
        )
        if skip_locked:
            stmt = stmt.with_for_update(skip_locked=True, of=Company.__table__)  # type: ignore[attr-defined]
        stmts.append(stmt)
    return tuple(stmts)


def _candidates(
    session: Session,
    campaign: Campaign,
    phoner: str,
    round_id: int | None,
    now: dt.datetime,
    skip_locked: bool,
) -> list[tuple[int, CallState, int]]:
    """Up to _CANDIDATES (id, state, attempts) in queue order, first queue with any."""
    assert campaign.id is not None
    params: dict[str, Any] = {
        "now": now,
        "phoner": phoner,
        "grace_due": now - dt.timedelta(minutes=campaign.callback_grace_minutes),
    }
    if round_id is not None:
        params["round_id"] = round_id
    conn = session.connection()
    for stmt in _queue_statements(campaign.id, round_id is not None, skip_locked):
        rows = conn.execute(stmt, params).all()
        if rows:
            return [(int(cid), CallState(st), int(att)) for cid, st, att in rows]
    return []


#: Take a candidate only if it is still free and unchanged since we looked at it.
_TAKE = (
    sa.update(Company)
    .where(
        col(Company.id) == sa.bindparam("cid", type_=sa.Integer()),
        _lease_free(sa.bindparam("now", type_=UTCDateTime())),
        col(Company.call_state) == sa.bindparam("seen_state", type_=sa.String()),
        col(Company.attempts) == sa.bindparam("seen_attempts", type_=sa.Integer()),
    )
    .values(
        lease_holder=sa.bindparam("holder", type_=sa.String()),
        lease_token=sa.bindparam("token", type_=sa.String()),
        lease_expires_at=sa.bindparam("expires", type_=UTCDateTime()),
    )
)


def claim_next(
    *,
    db: Database,
    campaign_id: int,
    phoner: str,
    round_id: int | None = None,
    now: dt.datetime | None = None,
    ignore_hours: bool = False,
) -> Claim | None:
    """Give the next company to ``phoner`` (None: nothing to call now, or outside hours)."""
    phoner = _check_phoner(phoner)
    moment = _now(now)
    for _ in range(_CLAIM_ROUNDS):
        with db.session(write=True) as session:
            campaign = _get_campaign(session, campaign_id)
            if not ignore_hours and outside_calling_hours(campaign, moment) is not None:
                return None
            if not db.is_sqlite:
                # PostgreSQL misjudges the callable rule's EXISTS clauses as selective and
                # would sort every new company of the campaign (~200 ms at 100,000);
                # without sorts it walks the id index and stops after a few rows (<1 ms).
                session.connection().exec_driver_sql("SET LOCAL enable_sort = off")
            candidates = _candidates(
                session, campaign, phoner, round_id, moment, skip_locked=not db.is_sqlite
            )
            if not candidates:
                return None
            expires = moment + dt.timedelta(minutes=campaign.lease_minutes)
            conn = session.connection()
            for company_id, state, attempts in candidates:
                token = secrets.token_hex(16)
                result = conn.execute(
                    _TAKE,
                    {
                        "cid": company_id,
                        "now": moment,
                        "seen_state": state.value,
                        "seen_attempts": attempts,
                        "holder": phoner,
                        "token": token,
                        "expires": expires,
                    },
                )
                if _rowcount(result) == 1:
                    return Claim(company_id, token, expires, _reason(state))
        # every candidate was taken by someone else meanwhile: look again
    return None


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def renew_lease(
    *, db: Database, company_id: int, lease_token: str, now: dt.datetime | None = None
) -> dt.datetime:
    """Extend the lease; raises :class:`Conflict` if the company is no longer ours."""
    moment = _now(now)
    with db.session(write=True) as session:
        company = session.get(Company, company_id)
        if company is None:
            raise NotFound(f"Virksomheden med id {company_id} findes ikke.")
        campaign = _get_campaign(session, company.campaign_id)
        expires = moment + dt.timedelta(minutes=campaign.lease_minutes)
        result = session.execute(
            sa.update(Company)
            .where(col(Company.id) == company_id, col(Company.lease_token) == lease_token)
            .values(lease_expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            raise _lost_lease(company.name)
    return expires


def _check_phoner(phoner: str) -> str:
    phoner = phoner.strip()
    if not phoner:
        raise InvalidInput("Skriv dit navn, før du henter en virksomhed.")
    if len(phoner) > 120:
        raise InvalidInput("Navnet er for langt (højst 120 tegn).")
    return phoner


def _lost_lease(name: str) -> Conflict:
    return Conflict(
        f"Du har ikke længere {name} – reservationen udløb, og virksomheden er givet "
        "videre eller lagt tilbage i køen.",
        hint="Hent næste virksomhed. Udfaldet af dette opkald er IKKE gemt.",
    )


def release(*, db: Database, company_id: int, lease_token: str) -> bool:
    """Give the company back to the queue unchanged (skip / quit). False if not ours."""
    with db.session(write=True) as session:
        result = session.execute(
            sa.update(Company)
            .where(col(Company.id) == company_id, col(Company.lease_token) == lease_token)
            .values(lease_holder=None, lease_token=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1


# --------------------------------------------------------------------------- recording


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
    if outcome.substantive or outcome == Outcome.LUKKET:
        company.call_state = CallState.DONE
        company.final_outcome = outcome
        return
    if outcome == Outcome.RING_TILBAGE:
        assert callback_at is not None
        company.call_state = CallState.CALLBACK
        company.next_call_at = callback_at
        company.callback_phoner = phoner
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


#: Test hook: called inside record_outcome's transaction just before it commits.
_before_commit: Callable[[Session], None] | None = None


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
) -> CallAttempt:
    """Record one call in one transaction (see the module docstring for the rules)."""
    phoner = _check_phoner(phoner)
    moment = _now(now)
    note = (note or "").strip() or None
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
                raise _lost_lease(company.name)
            campaign = _get_campaign(session, company.campaign_id)
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
            )
            if _before_commit is not None:
                _before_commit(session)
    except SQLAlchemyError as exc:
        # translated driver errors (locked, read-only, disk full) arrive as DatabaseError;
        # anything else the database refuses must not reach the phoner as a traceback
        raise DatabaseError(
            "Udfaldet blev ikke gemt: databasen afviste det. Intet er gemt halvt.",
            hint="Prøv igen. Virksomheden er stadig din; sker det igen, så kontakt koordinatoren.",
        ) from exc
    return attempt


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
) -> CallAttempt:
    """Write one call inside the caller's transaction (record_outcome and the importer).

    Adds the attempt, moves the company to its next queue state (unless
    ``update_state`` is False: an old call imported after newer ones only counts),
    releases the lease, writes contact history for substantive outcomes, creates the
    consultant's follow-up for ``vil_kontaktes`` and an audit entry that undo can use.
    """
    assert company.id is not None
    before = _queue_snapshot(company)
    wrong = 0
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
    )
    session.add(attempt)
    if update_state:
        _next_state(company, campaign, outcome, callback_at, phoner, wrong, ended_at)
        company.lease_holder = None
        company.lease_token = None
        company.lease_expires_at = None
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
            contact_date=ended_at.astimezone(TZ).date(),
            kind=ContactKind.CALL,
            outcome=outcome.value,
        )
        session.add(history)
    session.flush()  # one flush for attempt, company and history: ids for the audit entry
    assert attempt.id is not None
    history_id = history.id if history is not None else None
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
            **_queue_snapshot(company),
            "company_id": company.id,
            "contact_history_id": history_id,
            "followup_id": followup_id,
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


# --------------------------------------------------------------------------- undo


def undo_outcome(
    *,
    db: Database,
    attempt_id: int,
    phoner: str,
    window: dt.timedelta = UNDO_WINDOW,
    now: dt.datetime | None = None,
) -> Claim:
    """Take back the phoner's last outcome within ``window`` and give the company back.

    The company's queue state is restored to what it was before the call, the attempt
    (and the contact history / open follow-up it created) is deleted, the undo is
    audited, and the phoner gets the company again with a fresh lease.
    """
    moment = _now(now)
    with db.session(write=True) as session:
        attempt = session.get(CallAttempt, attempt_id)
        if attempt is None:
            raise NotFound("Opkaldet findes ikke længere (måske er det allerede fortrudt).")
        if attempt.phoner != phoner:
            raise Conflict(
                f"Opkaldet blev registreret af {attempt.phoner}; du kan kun fortryde dine egne."
            )
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
        booked = session.exec(select(Booking.id).where(Booking.attempt_id == attempt_id)).first()
        if booked is not None:
            raise Conflict(
                "Der er booket et besøg på dette opkald.",
                hint="Aflys eller flyt besøget først, og fortryd så udfaldet.",
            )
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
        _restore_snapshot(company, entry.old)
        for fu in session.exec(
            select(FollowUp).where(
                FollowUp.attempt_id == attempt_id, col(FollowUp.done_at).is_(None)
            )
        ).all():
            session.delete(fu)
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
        campaign = _get_campaign(session, company.campaign_id)
        token = secrets.token_hex(16)
        expires = moment + dt.timedelta(minutes=campaign.lease_minutes)
        company.lease_holder = phoner
        company.lease_token = token
        company.lease_expires_at = expires
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
    return Claim(company.id, token, expires, _reason(state))


# --------------------------------------------------------------------------- reading


def company_card(*, session: Session, company_id: int) -> CompanyCard:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(f"Virksomheden med id {company_id} findes ikke.")
    campaign = _get_campaign(session, company.campaign_id)
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
        )
        for a in attempts
    ]
    notes: list[str] = []
    if company.clearing_proposal is not None:
        notes.append(f"Foreslået fjernet: {company.clearing_proposal.label}")
    if company.clearing_note:
        notes.append(company.clearing_note)
    return CompanyCard(
        company=company,
        campaign_name=campaign.name,
        jobcenter_name=jobcenter.name if jobcenter else None,
        round_number=rnd.number if rnd else None,
        attempts=lines,
        clearing_notes=notes,
        wrong_numbers=sum(1 for a in lines if a.outcome == Outcome.FORKERT_NUMMER),
    )


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start and end of a Copenhagen calendar day."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=TZ)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TZ)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


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

"""Claims and leases: hand out the next company to exactly one phoner.

Correctness under many phoners at once is the point of this module:

- :func:`claim_next` gives one company to exactly one phoner. The candidate is picked
  with a plain query and then taken with a *conditional* UPDATE (``WHERE id = :id AND the
  lease is free AND the queue state is still what we saw``); a row count of 0 means
  another phoner won the race, and the next candidate is tried. On PostgreSQL the
  candidate query also uses ``FOR UPDATE SKIP LOCKED`` so concurrent claimers do not
  queue behind each other's rows. On SQLite every write transaction starts with
  ``BEGIN IMMEDIATE`` (see :mod:`phoner.core.db`), so claims are serialised and waiting
  writers sit in the busy timeout instead of failing with "database is locked".
- A claim is a *lease* of :data:`LEASE` (one minute) that the phoner's screen renews
  every :data:`HEARTBEAT` (15 seconds) with :func:`renew_lease`: a crashed terminal
  stops renewing, and its company is back in the queue at most :data:`LEASE` after the
  last heartbeat (so within 90 seconds of the crash, with room for a missed beat).
- A coordinator sees who holds what with :func:`held_companies` and gives a stale one
  back with :func:`release_stale` (audited, with the coordinator as actor). Only a lease
  without a heartbeat for :data:`STALE_AFTER` can be released that way: a phoner who is
  still working would lose the outcome of the call.
- The outcome is recorded only while the phoner still holds the lease (see
  :mod:`phoner.core.queue.outcomes`).

Queue order: due callbacks agreed by this phoner; due callbacks of others once
``callback_grace_minutes`` have passed (or callbacks nobody owns); due retries; new
companies in list order.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from phoner.core import audit
from phoner.core.db import Database
from phoner.core.errors import Conflict, NotFound
from phoner.core.lists.eligibility import callable_clause
from phoner.core.models import CallState, Campaign, Company, UTCDateTime
from phoner.core.queue._common import (
    check_phoner,
    get_campaign,
    lost_lease,
    now_utc,
    rowcount,
)
from phoner.core.queue.hours import outside_calling_hours

ClaimReason = Literal["callback", "retry", "new"]
#: How long a claim holds the company without a heartbeat.
LEASE = dt.timedelta(seconds=60)
#: How often the phoner's screen renews its lease (four beats per lease: a slow or
#: locked database can miss a few without the phoner losing the company).
HEARTBEAT = dt.timedelta(seconds=15)
#: A lease without a heartbeat for this long is stale: its phoner is most likely gone,
#: and a coordinator may give the company back to the queue.
STALE_AFTER = 2 * HEARTBEAT
_CANDIDATES = 4  # candidates fetched per claim attempt (losing a race tries the next)
_CLAIM_ROUNDS = 20  # give up (return None) after this many lost races in a row


@dataclass(frozen=True)
class Claim:
    """A company handed to one phoner until ``expires_at`` (renew with renew_lease)."""

    company_id: int
    lease_token: str
    expires_at: dt.datetime
    reason: ClaimReason


@dataclass(frozen=True)
class HeldCompany:
    """A company a phoner holds right now (the coordinator's view)."""

    company_id: int
    company: str
    holder: str
    since: dt.datetime | None  # when the phoner took it (None: taken before this was kept)
    last_heartbeat: dt.datetime
    expires_at: dt.datetime
    stale: bool  # no heartbeat for STALE_AFTER: the phoner is most likely gone
    lease_token: str = field(repr=False)  # release_stale releases this lease, no newer one


def _lease_free(now: dt.datetime | sa.BindParameter[dt.datetime]) -> ColumnElement[bool]:
    return or_(col(Company.lease_holder).is_(None), col(Company.lease_expires_at) < now)


def claim_reason(state: CallState) -> ClaimReason:
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
        lease_since=sa.bindparam("since", type_=UTCDateTime()),
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
    phoner = check_phoner(phoner)
    moment = now_utc(now)
    for _ in range(_CLAIM_ROUNDS):
        with db.session(write=True) as session:
            campaign = get_campaign(session, campaign_id)
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
            expires = moment + LEASE
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
                        "since": moment,
                    },
                )
                if rowcount(result) == 1:
                    return Claim(company_id, token, expires, claim_reason(state))
        # every candidate was taken by someone else meanwhile: look again
    return None


def claim_company(
    *,
    db: Database,
    company_id: int,
    phoner: str,
    now: dt.datetime | None = None,
) -> Claim:
    """Give one chosen company to ``phoner`` (from the call list: a company that calls
    back, an inbound call), with the same lease as :func:`claim_next`.

    Taken with the same conditional UPDATE as the queue, so two phoners never hold it at
    once: :class:`Conflict` if another phoner holds it now. A company the phoner holds
    already is handed back with a fresh lease. Calling hours, rounds and the queue order
    do not apply: the phoner chose the company (or it called in).
    """
    phoner = check_phoner(phoner)
    moment = now_utc(now)
    with db.session(write=True) as session:
        company = session.get(Company, company_id)
        if company is None:
            raise NotFound(f"Virksomheden med id {company_id} findes ikke.")
        held = company.lease_holder is not None and (
            company.lease_expires_at is not None and company.lease_expires_at >= moment
        )
        if company.blocked_id is not None:
            raise Conflict(
                f"{company.name} står på spærrelisten (frabeder sig henvendelser) og må "
                "ikke ringes op.",
                hint="Kun en koordinator kan ophæve spærringen.",
            )
        if held and company.lease_holder != phoner:
            raise Conflict(
                f"{company.lease_holder} taler med {company.name} lige nu.",
                hint="Prøv igen om lidt, eller vælg en anden virksomhed.",
            )
        token = secrets.token_hex(16)
        expires = moment + LEASE
        owner = or_(_lease_free(moment), col(Company.lease_holder) == phoner)
        result = session.execute(
            sa.update(Company)
            .where(col(Company.id) == company_id, owner)
            .values(
                lease_holder=phoner, lease_token=token, lease_expires_at=expires, lease_since=moment
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:  # taken between the read and the update
            raise Conflict(f"En anden har lige taget {company.name}.")
        return Claim(company_id, token, expires, claim_reason(company.call_state))


def renew_lease(
    *, db: Database, company_id: int, lease_token: str, now: dt.datetime | None = None
) -> dt.datetime:
    """The heartbeat: extend the lease to :data:`LEASE` from ``now``.

    Raises :class:`Conflict` if the company is no longer ours (released by a coordinator,
    or expired and claimed by another phoner).
    """
    moment = now_utc(now)
    expires = moment + LEASE
    with db.session(write=True) as session:
        result = session.execute(
            sa.update(Company)
            .where(col(Company.id) == company_id, col(Company.lease_token) == lease_token)
            .values(lease_expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            company = session.get(Company, company_id)
            if company is None:
                raise NotFound(f"Virksomheden med id {company_id} findes ikke.")
            raise lost_lease(company.name)
    return expires


def release(*, db: Database, company_id: int, lease_token: str) -> bool:
    """Give the company back to the queue unchanged (skip / quit). False if not ours."""
    with db.session(write=True) as session:
        result = session.execute(
            sa.update(Company)
            .where(col(Company.id) == company_id, col(Company.lease_token) == lease_token)
            .values(lease_holder=None, lease_token=None, lease_expires_at=None, lease_since=None)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1


# --------------------------------------------------------------------------- coordinator


def held_companies(
    *, session: Session, campaign_id: int, now: dt.datetime | None = None
) -> list[HeldCompany]:
    """The campaign's companies held by a phoner right now (expired leases are free
    already and not listed), the stalest first."""
    moment = now_utc(now)
    rows = session.exec(
        select(Company)
        .where(
            col(Company.campaign_id) == campaign_id,
            col(Company.lease_holder).is_not(None),
            col(Company.lease_expires_at) >= moment,
        )
        .order_by(col(Company.lease_expires_at), col(Company.id))
    ).all()
    out: list[HeldCompany] = []
    for c in rows:
        assert c.id is not None and c.lease_expires_at is not None
        beat = c.lease_expires_at - LEASE
        out.append(
            HeldCompany(
                company_id=c.id,
                company=c.name,
                holder=c.lease_holder or "",
                since=c.lease_since,
                last_heartbeat=beat,
                expires_at=c.lease_expires_at,
                stale=moment - beat >= STALE_AFTER,
                lease_token=c.lease_token or "",
            )
        )
    return out


def release_stale(
    *,
    db: Database,
    company_id: int,
    lease_token: str,
    coordinator: str,
    now: dt.datetime | None = None,
) -> None:
    """Give a stale lease (:func:`held_companies`) back to the queue, audited.

    Refused (:class:`Conflict`) when the lease is gone or has been renewed since the
    coordinator looked (the token changed, or a heartbeat came within
    :data:`STALE_AFTER`): the phoner is working on it.
    """
    coordinator = check_phoner(coordinator)
    moment = now_utc(now)
    with db.session(write=True) as session:
        company = session.get(Company, company_id)
        if company is None:
            raise NotFound(f"Virksomheden med id {company_id} findes ikke.")
        if company.lease_token != lease_token or company.lease_expires_at is None:
            raise Conflict(
                f"{company.name} er allerede lagt tilbage i køen eller taget af en anden.",
                hint="Opdatér listen over reserverede virksomheder.",
            )
        beat = company.lease_expires_at - LEASE
        if moment - beat < STALE_AFTER:
            seconds = max(0, int((moment - beat).total_seconds()))
            raise Conflict(
                f"{company.lease_holder} arbejder stadig på {company.name} "
                f"(sidste livstegn for {seconds} sekunder siden).",
                hint="Kun en reservation uden livstegn i "
                f"{int(STALE_AFTER.total_seconds())} sekunder kan frigives.",
            )
        before = {
            "lease_holder": company.lease_holder,
            "lease_since": company.lease_since.isoformat() if company.lease_since else None,
            "last_heartbeat": beat.isoformat(),
        }
        result = session.execute(
            sa.update(Company)
            .where(col(Company.id) == company_id, col(Company.lease_token) == lease_token)
            .values(lease_holder=None, lease_token=None, lease_expires_at=None, lease_since=None)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:  # pragma: no cover - the row is locked by this transaction
            raise Conflict(f"{company.name} er allerede lagt tilbage i køen.")
        audit.record(
            session,
            actor=coordinator,
            action="release_lease",
            entity="company",
            entity_id=company_id,
            campaign_id=company.campaign_id,
            old=before,
            new={"lease_holder": None},
            reason="Reservation uden livstegn frigivet af koordinator",
        )

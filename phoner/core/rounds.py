"""Rounds (omgange / udsendelser): plan the cleared list into batches, and their states.

A round is planned -> active -> closed; only companies of active rounds are called
(:func:`phoner.core.lists.eligibility.callable_clause`). Planning spreads each jobcenter's
companies evenly over the new rounds, so no jobcenter (and so no consultant) gets a whole
round's follow-ups at once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from phoner.core import audit, vocabulary
from phoner.core.errors import Conflict, InvalidInput, NotFound, NothingToPlan
from phoner.core.lists.eligibility import kept_clause, signed_off_clause
from phoner.core.models import (
    CallState,
    Campaign,
    Company,
    Round,
    RoundState,
    utcnow,
)

#: Call states that count as done for a round (a final outcome, or given up on).
DONE_STATES = (CallState.DONE, CallState.NOT_REACHED)


@dataclass(frozen=True)
class RoundInfo:
    number: int
    date: dt.date | None
    state: RoundState
    companies: int
    done: int

    def to_json(self) -> dict[str, object]:
        return {
            "round": self.number,
            "date": None if self.date is None else self.date.isoformat(),
            "state": self.state.value,
            "companies": self.companies,
            "done": self.done,
        }


def plannable_companies(*, session: Session, campaign_id: int) -> list[Company]:
    """Signed-off, kept, in-target companies without a round, in a stable order; not
    those on the do-not-call register (never called: a round would count them, and a
    company whose block is lifted is planned by the next plan)."""
    return list(
        session.exec(
            select(Company)
            .where(
                Company.campaign_id == campaign_id,
                col(Company.round_id).is_(None),
                col(Company.out_of_target).is_(None),
                col(Company.blocked_id).is_(None),
                signed_off_clause(),
                kept_clause(),
            )
            .order_by(col(Company.jobcenter_id), col(Company.id))
        ).all()
    )


def spread(groups: Sequence[Sequence[int]], n_rounds: int) -> list[list[int]]:
    """Split the groups' items into ``n_rounds`` rounds, dealt like cards.

    The groups are laid out one after the other (largest first) and the items dealt to
    the rounds in turn. So round sizes differ by at most one, and so do the shares any
    one group (jobcenter) gets of each round.
    """
    if n_rounds < 1:
        raise ValueError("n_rounds must be >= 1")
    out: list[list[int]] = [[] for _ in range(n_rounds)]
    k = 0
    for items in sorted(groups, key=len, reverse=True):
        for item in items:
            out[k % n_rounds].append(item)
            k += 1
    return out


def plan_rounds(
    *,
    session: Session,
    campaign: Campaign,
    first: dt.date,
    gap_days: int,
    size: int | None = None,
    rounds: int | None = None,
    actor: str = "system",
) -> list[RoundInfo]:
    """Put signed-off, kept companies without a round into new rounds.

    Either ``size`` (about that many companies per round) or ``rounds`` (that many
    rounds). New rounds are numbered after the campaign's existing ones and dated
    ``first``, ``first + gap_days``, ... Companies that already have a round keep it.
    """
    assert campaign.id is not None
    if (size is None) == (rounds is None):
        raise InvalidInput(
            "Angiv enten rundestørrelsen (virksomheder pr. runde) eller antallet af runder.",
            field="size_or_rounds",
        )
    if size is not None and size < 1:
        raise InvalidInput("Rundestørrelsen skal være mindst 1.", field="size")
    if rounds is not None and rounds < 1:
        raise InvalidInput("Antallet af runder skal være mindst 1.", field="rounds")
    if gap_days < 0:
        raise InvalidInput("Antal dage mellem runderne kan ikke være negativt.", field="gap_days")
    companies = plannable_companies(session=session, campaign_id=campaign.id)
    if not companies:
        raise NothingToPlan(
            "Der er ingen virksomheder at fordele: alle godkendte og beholdte virksomheder "
            "har allerede en runde, eller ingen jobcentre har godkendt deres liste."
        )
    n = rounds if rounds is not None else math.ceil(len(companies) / (size or 1))
    n = min(n, len(companies))
    by_jc: dict[int | None, list[int]] = {}
    objs: dict[int, Company] = {}
    for c in companies:
        assert c.id is not None
        by_jc.setdefault(c.jobcenter_id, []).append(c.id)
        objs[c.id] = c
    chunks = spread(list(by_jc.values()), n)
    last = session.exec(
        select(func.max(Round.number)).where(Round.campaign_id == campaign.id)
    ).one()
    start_no = (last or 0) + 1
    now = utcnow()
    created: list[RoundInfo] = []
    for k, chunk in enumerate(chunks):
        rnd = Round(
            campaign_id=campaign.id,
            number=start_no + k,
            planned_date=first + dt.timedelta(days=gap_days * k),
            state=RoundState.PLANNED,
        )
        session.add(rnd)
        session.flush()
        for cid in chunk:
            c = objs[cid]
            c.round_id = rnd.id
            c.updated_at = now
            session.add(c)
        created.append(RoundInfo(rnd.number, rnd.planned_date, rnd.state, len(chunk), 0))
    audit.record(
        session,
        actor=actor,
        action="rounds_plan",
        entity="campaign",
        entity_id=campaign.id,
        campaign_id=campaign.id,
        new={"rounds": [r.to_json() for r in created]},
    )
    session.flush()
    return created


def rounds_overview(*, session: Session, campaign: Campaign) -> list[RoundInfo]:
    """Every round of the campaign with its companies and how many are done.

    A company blocked (do-not-call register) after the round was planned is not counted
    unless it is done: it is never called, so it would never be done (as the reports)."""
    assert campaign.id is not None
    counts: dict[int, tuple[int, int]] = {}
    rows = session.exec(
        select(Company.round_id, Company.call_state, func.count())
        .where(
            Company.campaign_id == campaign.id,
            col(Company.round_id).is_not(None),
            or_(col(Company.blocked_id).is_(None), col(Company.call_state).in_(DONE_STATES)),
        )
        .group_by(col(Company.round_id), col(Company.call_state))
    ).all()
    for round_id, call_state, n in rows:
        assert round_id is not None
        total, done = counts.get(round_id, (0, 0))
        counts[round_id] = (total + n, done + (n if call_state in DONE_STATES else 0))
    out: list[RoundInfo] = []
    for r in session.exec(
        select(Round).where(Round.campaign_id == campaign.id).order_by(col(Round.number))
    ).all():
        assert r.id is not None
        total, done = counts.get(r.id, (0, 0))
        out.append(RoundInfo(r.number, r.planned_date, r.state, total, done))
    return out


def get_round(*, session: Session, campaign: Campaign, number: int) -> Round:
    rnd = session.exec(
        select(Round).where(Round.campaign_id == campaign.id, Round.number == number)
    ).first()
    if rnd is None:
        numbers = session.exec(
            select(Round.number).where(Round.campaign_id == campaign.id).order_by(col(Round.number))
        ).all()
        raise NotFound(
            f"Kampagnen {campaign.name!r} har ingen runde {number}"
            + (
                f" (runderne er {', '.join(map(str, numbers))})."
                if numbers
                else " (ingen runder endnu)."
            ),
        )
    return rnd


def activate_round(*, session: Session, campaign: Campaign, number: int, actor: str) -> Round:
    """planned -> active: its companies may now be called."""
    rnd = get_round(session=session, campaign=campaign, number=number)
    if rnd.state != RoundState.PLANNED:
        raise Conflict(
            f"Runde {number} er {vocabulary.label(rnd.state)}; kun en planlagt runde kan startes."
        )
    rnd.state = RoundState.ACTIVE
    session.add(rnd)
    audit.record(
        session,
        actor=actor,
        action="round_activate",
        entity="round",
        entity_id=rnd.id,
        campaign_id=campaign.id,
        old={"state": RoundState.PLANNED.value},
        new={"state": RoundState.ACTIVE.value},
    )
    session.flush()
    return rnd


@dataclass(frozen=True)
class CloseResult:
    number: int
    unreached: int
    carried_to: int | None  # the round the not-reached companies moved to (retry pass)


def close_round(
    *, session: Session, campaign: Campaign, number: int, actor: str, retry: bool = False
) -> CloseResult:
    """active -> closed. Not-reached companies either move to a retry pass or stay unreached.

    With ``retry`` they move to the next planned round (a new one, dated a week later,
    is created if there is none) and keep their attempts; otherwise they are marked
    ``not_reached``.
    """
    assert campaign.id is not None
    rnd = get_round(session=session, campaign=campaign, number=number)
    if rnd.state != RoundState.ACTIVE:
        raise Conflict(
            f"Runde {number} er {vocabulary.label(rnd.state)}; kun en aktiv runde kan afsluttes."
        )
    open_companies = session.exec(
        select(Company).where(
            Company.round_id == rnd.id, col(Company.call_state).not_in(DONE_STATES)
        )
    ).all()
    carried_to: int | None = None
    now = utcnow()
    if retry and open_companies:
        target = session.exec(
            select(Round)
            .where(
                Round.campaign_id == campaign.id,
                Round.number > number,
                Round.state == RoundState.PLANNED,
            )
            .order_by(col(Round.number))
        ).first()
        if target is None:
            last = session.exec(
                select(func.max(Round.number)).where(Round.campaign_id == campaign.id)
            ).one()
            base = rnd.planned_date or now.date()
            target = Round(
                campaign_id=campaign.id,
                number=(last or number) + 1,
                planned_date=max(base, now.date()) + dt.timedelta(days=7),
                state=RoundState.PLANNED,
                note=f"Genopkald fra runde {number}",
            )
            session.add(target)
            session.flush()
        carried_to = target.number
        for c in open_companies:
            c.round_id = target.id
            c.lease_holder = c.lease_token = None
            c.lease_expires_at = None
            c.updated_at = now
            session.add(c)
    else:
        for c in open_companies:
            c.call_state = CallState.NOT_REACHED
            c.lease_holder = c.lease_token = None
            c.lease_expires_at = None
            c.updated_at = now
            session.add(c)
    rnd.state = RoundState.CLOSED
    session.add(rnd)
    audit.record(
        session,
        actor=actor,
        action="round_close",
        entity="round",
        entity_id=rnd.id,
        campaign_id=campaign.id,
        old={"state": RoundState.ACTIVE.value},
        new={
            "state": RoundState.CLOSED.value,
            "unreached": len(open_companies),
            "carried_to": carried_to,
        },
    )
    session.flush()
    return CloseResult(number, len(open_companies), carried_to)

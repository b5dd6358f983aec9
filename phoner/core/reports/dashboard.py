"""The coordinator's dashboard read model: progress per round, outcomes, follow-ups, feeds.

:func:`dashboard` runs a handful of aggregate queries and returns frozen data for the
TUI's dashboard screen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from phoner.core.clock import local_date
from phoner.core.db import Database
from phoner.core.lookups import require
from phoner.core.models import (
    Booking,
    Campaign,
    CampaignJobcenter,
    Consultant,
    FollowUp,
    Jobcenter,
    OutboxStatus,
    Outcome,
    RoundState,
    utcnow,
)
from phoner.core.outbox import counts as outbox_counts
from phoner.core.reports.common import (
    ANSWER_OUTCOMES,
    NO_CONSULTANT,
    campaign_rounds,
    outcomes_by_round,
)


@dataclass(frozen=True)
class RoundProgress:
    number: int | None
    state: RoundState | None
    companies: int
    called: int
    answered: int
    outcomes: dict[Outcome, int]


@dataclass(frozen=True)
class FeedLag:
    consultant: str
    jobcenter: str | None
    last_fetch: dt.datetime | None
    unseen_bookings: int


@dataclass(frozen=True)
class Dashboard:
    campaign: str
    rounds: list[RoundProgress]
    outcomes: dict[Outcome, int]  # final outcomes over the campaign
    not_called: int
    followups_open: int
    followups_overdue: int
    overdue_by_consultant: list[tuple[str, int]]
    feed_lagging: list[FeedLag]
    outbox_failed: int = 0  # e-mails the server refused for good (phoner outbox status)
    outbox_waiting: int = 0  # e-mails not sent yet


def dashboard(*, session: Session, campaign: Campaign, today: dt.date | None = None) -> Dashboard:
    """What the coordinator's dashboard shows, in a handful of aggregate queries."""
    assert campaign.id is not None
    today = today or local_date(utcnow())
    counts = outcomes_by_round(session, campaign.id)
    rounds = campaign_rounds(session, campaign.id)
    progress: list[RoundProgress] = []
    known = set()
    for r in rounds:
        known.add(r.id)
        per = counts.get(r.id, {})
        progress.append(_progress(r.number, r.state, per))
    orphan: dict[Outcome | None, int] = defaultdict(int)
    for rid, per in counts.items():
        if rid not in known:
            for o, n in per.items():
                orphan[o] += n
    if orphan:
        progress.append(_progress(None, None, orphan))
    outcomes: dict[Outcome, int] = defaultdict(int)
    not_called = 0
    for per in counts.values():
        for o, n in per.items():
            if o is None:
                not_called += n
            else:
                outcomes[o] += n
    is_open = col(FollowUp.done_at).is_(None)
    overdue = sa.and_(is_open, col(FollowUp.due_date) < today)
    fu_rows = session.execute(
        sa.select(
            col(FollowUp.consultant_id),
            func.sum(sa.case((is_open, 1), else_=0)),
            func.sum(sa.case((overdue, 1), else_=0)),
        )
        .where(col(FollowUp.campaign_id) == campaign.id)
        .group_by(col(FollowUp.consultant_id))
    ).all()
    k_names = {k.id: k.name for k in session.exec(select(Consultant)).all()}
    open_total = sum(int(o or 0) for _, o, _ in fu_rows)
    overdue_total = sum(int(v or 0) for _, _, v in fu_rows)
    overdue_by = sorted(
        ((k_names.get(kid, NO_CONSULTANT), int(v or 0)) for kid, _, v in fu_rows if v),
        key=lambda t: (-t[1], t[0]),
    )
    mail = outbox_counts(session, campaign_id=campaign.id)
    return Dashboard(
        campaign=campaign.name,
        rounds=progress,
        outcomes=dict(outcomes),
        not_called=not_called,
        followups_open=open_total,
        followups_overdue=overdue_total,
        overdue_by_consultant=overdue_by,
        feed_lagging=feed_lagging(session=session, campaign=campaign),
        outbox_failed=mail.get(OutboxStatus.FAILED.value, 0),
        outbox_waiting=(
            mail.get(OutboxStatus.QUEUED.value, 0) + mail.get(OutboxStatus.SENDING.value, 0)
        ),
    )


def _progress(
    number: int | None, state: RoundState | None, per: Mapping[Outcome | None, int]
) -> RoundProgress:
    outcomes = {o: n for o, n in per.items() if o is not None}
    return RoundProgress(
        number=number,
        state=state,
        companies=sum(per.values()),
        called=sum(outcomes.values()),
        answered=sum(outcomes.get(o, 0) for o in ANSWER_OUTCOMES),
        outcomes=outcomes,
    )


def feed_lagging(*, session: Session, campaign: Campaign) -> list[FeedLag]:
    """Consultants of the campaign who never fetched their feed or have not seen bookings."""
    assert campaign.id is not None
    in_campaign = sa.or_(
        col(Consultant.jobcenter_id).in_(
            sa.select(col(CampaignJobcenter.jobcenter_id)).where(
                col(CampaignJobcenter.campaign_id) == campaign.id
            )
        ),
        col(Consultant.id).in_(
            sa.select(col(Booking.consultant_id)).where(col(Booking.campaign_id) == campaign.id)
        ),
    )
    unseen = (
        sa.select(col(Booking.consultant_id).label("kid"), func.count().label("n"))
        .join(Consultant, col(Consultant.id) == col(Booking.consultant_id))
        .where(
            col(Booking.campaign_id) == campaign.id,
            sa.or_(
                col(Consultant.last_feed_fetch_at).is_(None),
                col(Booking.modified_at) > col(Consultant.last_feed_fetch_at),
            ),
        )
        .group_by(col(Booking.consultant_id))
        .subquery()
    )
    rows = session.execute(
        sa.select(Consultant, col(Jobcenter.name), func.coalesce(unseen.c.n, 0))
        .outerjoin(Jobcenter, col(Jobcenter.id) == col(Consultant.jobcenter_id))
        .outerjoin(unseen, unseen.c.kid == col(Consultant.id))
        .where(in_campaign, col(Consultant.active).is_(True))
        .where(sa.or_(col(Consultant.last_feed_fetch_at).is_(None), unseen.c.n > 0))
        .order_by(col(Jobcenter.name), col(Consultant.name))
    ).all()
    return [
        FeedLag(
            consultant=k.name,
            jobcenter=jname,
            last_fetch=k.last_feed_fetch_at,
            unseen_bookings=int(n),
        )
        for k, jname, n in rows
    ]


def campaign_dashboard(*, db: Database, campaign_id: int, today: dt.date) -> Dashboard:
    """The dashboard of a campaign by id, in one read (:class:`RowMissing` if it is gone)."""
    with db.session() as session:
        campaign = require(session, Campaign, campaign_id, "campaign")
        return dashboard(session=session, campaign=campaign, today=today)

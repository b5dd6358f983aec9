"""Read-only look-ups the TUI's screens need: campaigns with their rounds, call-list rows,
known phoner names, a campaign's jobcenters and name.

Each takes the :class:`~phoner.core.db.Database`, opens its own read session and returns
frozen rows or plain values, never an ORM row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from phoner.core import campaigns
from phoner.core.db import Database
from phoner.core.errors import NotFound
from phoner.core.models import (
    CallAttempt,
    CallState,
    Campaign,
    CampaignJobcenter,
    Company,
    Jobcenter,
    Round,
    RoundState,
)
from phoner.core.phones import format_phone

_T = TypeVar("_T")
RowKind = Literal["campaign", "jobcenter", "company"]
_KIND_TEXT: dict[RowKind, str] = {
    "campaign": "Kampagnen",
    "jobcenter": "Jobcentret",
    "company": "Virksomheden",
}


class RowMissing(NotFound):
    """A row a use case was given by id is gone (deleted meanwhile); ``kind`` and
    ``row_id`` say which, so a front end can word it its own way."""

    def __init__(self, kind: RowKind, row_id: int) -> None:
        super().__init__(f"{_KIND_TEXT[kind]} med id {row_id} findes ikke.")
        self.kind = kind
        self.row_id = row_id


def require(session: Session, table: type[_T], row_id: int, kind: RowKind) -> _T:
    """The row of ``table`` with ``row_id`` in ``session``, or :class:`RowMissing`
    (a building block for use cases; the row never leaves their session)."""
    row = session.get(table, row_id)
    if row is None:
        raise RowMissing(kind, row_id)
    return row


#: At most this many rows in a call-list table (a 100,000-company list stays responsive;
#: the search box narrows it down in the database).
MAX_LIST_ROWS = 2000


@dataclass(frozen=True)
class RoundInfo:
    id: int
    number: int
    state: RoundState


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    companies: int
    rounds: list[RoundInfo]


@dataclass(frozen=True)
class CompanyRow:
    id: int
    name: str
    cvr: str
    phone: str
    municipality: str
    round: str
    state: CallState
    last_outcome: str | None
    lease_holder: str | None


def campaign_infos(db: Database) -> list[CampaignInfo]:
    """Every campaign with its company count and rounds (oldest campaign first)."""
    with db.session() as session:
        return _campaign_infos(session)


def _campaign_infos(session: Session) -> list[CampaignInfo]:
    rows = campaigns.list_campaigns(session=session)
    rounds = session.exec(select(Round).order_by(col(Round.campaign_id), col(Round.number))).all()
    by_campaign: dict[int, list[RoundInfo]] = {}
    for r in rounds:
        assert r.id is not None
        by_campaign.setdefault(r.campaign_id, []).append(RoundInfo(r.id, r.number, r.state))
    out = []
    for c, n in rows:
        assert c.id is not None
        out.append(CampaignInfo(c.id, c.name, n, by_campaign.get(c.id, [])))
    return out


def company_rows(
    db: Database,
    *,
    campaign_id: int,
    round_id: int | None = None,
    query: str = "",
    limit: int = MAX_LIST_ROWS,
) -> tuple[list[CompanyRow], int]:
    """Rows for a call-list table and the total number matching (before ``limit``)."""
    with db.session() as session:
        return _company_rows(session, campaign_id, round_id, query, limit)


def _company_rows(
    session: Session, campaign_id: int, round_id: int | None, query: str, limit: int
) -> tuple[list[CompanyRow], int]:
    stmt = select(Company, Round.number).outerjoin(Round, col(Round.id) == Company.round_id)
    stmt = stmt.where(Company.campaign_id == campaign_id)
    count = select(func.count(col(Company.id))).where(Company.campaign_id == campaign_id)
    if round_id is not None:
        stmt = stmt.where(Company.round_id == round_id)
        count = count.where(Company.round_id == round_id)
    q = query.strip()
    if q:
        like = f"%{q.lower()}%"
        digits = "".join(ch for ch in q if ch.isdigit())
        cond = func.lower(Company.name).like(like) | func.lower(
            func.coalesce(Company.municipality, "")
        ).like(like)
        if digits:
            cond = (
                cond
                | col(Company.cvr).like(f"%{digits}%")
                | sa.cast(col(Company.phones), sa.String).like(f"%{digits}%")
            )
        stmt = stmt.where(cond)
        count = count.where(cond)
    total = int(session.exec(count).one())
    result = session.exec(stmt.order_by(col(Company.name), col(Company.id)).limit(limit)).all()
    rows = []
    for company, round_number in result:
        assert company.id is not None
        rows.append(
            CompanyRow(
                id=company.id,
                name=company.name,
                cvr=company.cvr or "–",
                phone=format_phone(company.phones[0]) if company.phones else "–",
                municipality=company.municipality or "–",
                round=str(round_number) if round_number is not None else "–",
                state=company.call_state,
                last_outcome=(company.final_outcome or company.last_outcome),
                lease_holder=company.lease_holder,
            )
        )
    return rows, total


def known_phoners(db: Database, *, limit: int = 20) -> list[str]:
    """Names that have made calls, most recent first (for the name suggester)."""
    with db.session() as session:
        rows = session.exec(
            select(CallAttempt.phoner, func.max(CallAttempt.ended_at).label("last"))
            .group_by(col(CallAttempt.phoner))
            .order_by(func.max(CallAttempt.ended_at).desc())
            .limit(limit)
        ).all()
    return [name for name, _ in rows if name]


def campaign_jobcenters(db: Database, campaign_id: int) -> list[tuple[int, str]]:
    """(id, name) of the jobcenters taking part in a campaign, by name."""
    with db.session() as session:
        rows = session.exec(
            select(Jobcenter.id, Jobcenter.name)
            .join(CampaignJobcenter, col(CampaignJobcenter.jobcenter_id) == Jobcenter.id)
            .where(CampaignJobcenter.campaign_id == campaign_id)
            .order_by(col(Jobcenter.name))
        ).all()
    return [(int(i), str(n)) for i, n in rows if i is not None]


def campaign_name(db: Database, campaign_id: int) -> str | None:
    """The campaign's name; None when it does not exist."""
    with db.session() as session:
        name = session.exec(select(Campaign.name).where(Campaign.id == campaign_id)).first()
    return None if name is None else str(name)

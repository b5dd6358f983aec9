"""The coordinator's clearing use cases, by id: the sheet of one jobcenter, a keep/remove
decision, the sign-off.

Each takes the :class:`~phoner.core.db.Database`, opens its own unit of work and returns
frozen data; a campaign, jobcenter or company that is gone raises
:class:`~phoner.core.lookups.RowMissing`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from phoner.core.db import Database
from phoner.core.lists import clearing as _clearing
from phoner.core.lists import signoff as _signoff
from phoner.core.lookups import require
from phoner.core.models import Campaign, ClearingReason, ClearingState, Company, Jobcenter

ClearingFilter = ClearingReason | Literal["any"] | None  # None: no proposal


@dataclass(frozen=True)
class ClearingSheet:
    """One jobcenter's part of a campaign's list, with its sign-off."""

    campaign: str
    jobcenter: str
    companies: list[_clearing.ClearingRow]
    signed_off_at: dt.datetime | None
    signed_off_by: str | None
    forced: bool


def clearing_sheet(
    *, db: Database, campaign_id: int, jobcenter_id: int, proposal: ClearingFilter
) -> ClearingSheet:
    with db.session() as session:
        campaign = require(session, Campaign, campaign_id, "campaign")
        jobcenter = require(session, Jobcenter, jobcenter_id, "jobcenter")
        companies = _clearing.clearing_rows(
            session=session,
            campaign_id=campaign_id,
            jobcenter_id=jobcenter_id,
            proposal=proposal,
        )
        status = next(
            (
                st
                for st in _signoff.jobcenter_status(session=session, campaign=campaign)
                if st.jobcenter == jobcenter.name
            ),
            None,
        )
        return ClearingSheet(
            campaign=campaign.name,
            jobcenter=jobcenter.name,
            companies=list(companies),
            signed_off_at=status.signed_off_at if status else None,
            signed_off_by=status.signed_off_by if status else None,
            forced=bool(status and status.forced),
        )


def set_decision(
    *, db: Database, company_id: int, decision: ClearingState, actor: str, reason: str | None
) -> bool:
    """Keep or remove one company; False when nothing changed."""
    with db.session(write=True) as session:
        company = require(session, Company, company_id, "company")
        return _clearing.set_decision(
            session=session, company=company, decision=decision, by=actor, reason=reason
        )


def sign_off(
    *, db: Database, campaign_id: int, jobcenter_id: int, actor: str, force: bool
) -> _signoff.SignOffResult:
    with db.session(write=True) as session:
        campaign = require(session, Campaign, campaign_id, "campaign")
        jobcenter = require(session, Jobcenter, jobcenter_id, "jobcenter")
        return _signoff.sign_off(
            session=session, campaign=campaign, jobcenter=jobcenter, by=actor, force=force
        )

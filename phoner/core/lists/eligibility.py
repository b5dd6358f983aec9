"""Eligibility: the one place that says which companies a phoner may be handed.

A company is callable (:func:`callable_clause`) iff

- its jobcenter's part of the campaign list is signed off (or force-signed off); a
  signed-off list is frozen: the importer refuses new companies for it and clearing
  decisions are refused until the jobcenter reopens it;
- the jobcenter's clearing kept it: ``clearing_state == keep``, or ``pending`` without a
  removal proposal (not reviewed, nothing against it);
- it is in the campaign's target group (``out_of_target is None``);
- its round is active;
- the do-not-call register does not block it (``blocked_id is None``, kept by
  :mod:`phoner.core.blocks`).

The queue (call state, leases, retry times) is the calling service's business; it adds its
own conditions to this clause. This module depends on the models only, so the queue,
rounds and reports never import the list importer.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from phoner.core.models import CampaignJobcenter, ClearingState, Company, Round, RoundState


def signed_off_clause() -> ColumnElement[bool]:
    """The company's jobcenter has signed off its part of the list."""
    return exists().where(
        col(CampaignJobcenter.campaign_id) == col(Company.campaign_id),
        col(CampaignJobcenter.jobcenter_id) == col(Company.jobcenter_id),
        col(CampaignJobcenter.signed_off_at).is_not(None),
    )


def kept_clause() -> ColumnElement[bool]:
    """Clearing kept the company (explicitly, or pending with nothing proposed against it)."""
    return or_(
        col(Company.clearing_state) == ClearingState.KEEP,
        and_(
            col(Company.clearing_state) == ClearingState.PENDING,
            col(Company.clearing_proposal).is_(None),
        ),
    )


def callable_clause(campaign_id: int) -> ColumnElement[bool]:
    """WHERE clause on :class:`Company`: callable in ``campaign_id`` (see the module doc).

    Use it as ``select(Company).where(callable_clause(campaign.id), ...)``.
    """
    active_round = exists().where(
        col(Round.id) == col(Company.round_id),
        col(Round.state) == RoundState.ACTIVE,
    )
    return and_(
        col(Company.campaign_id) == campaign_id,
        signed_off_clause(),
        kept_clause(),
        col(Company.out_of_target).is_(None),
        col(Company.blocked_id).is_(None),
        active_round,
    )


def signed_jobcenters(session: Session, campaign_id: int) -> set[int | None]:
    """Ids of the jobcenters that have signed off their part of ``campaign_id``."""
    return set(
        session.exec(
            select(CampaignJobcenter.jobcenter_id).where(
                CampaignJobcenter.campaign_id == campaign_id,
                col(CampaignJobcenter.signed_off_at).is_not(None),
            )
        ).all()
    )

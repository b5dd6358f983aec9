"""Claiming one chosen company (the call list's Enter: a company that calls back)."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from phoner.core.db import Database
from phoner.core.errors import Conflict
from phoner.core.models import Company, Outcome
from phoner.core.queue.claims import claim_company, claim_next, release
from phoner.core.queue.outcomes import record_outcome
from tests.support.worlds import MONDAY_10, make_campaign


def _ids(db: Database, campaign_id: int) -> list[int]:
    with db.session() as s:
        rows = s.exec(
            select(Company.id).where(Company.campaign_id == campaign_id).order_by(col(Company.id))
        ).all()
    return [int(i) for i in rows if i is not None]


def test_a_chosen_company_is_claimed_like_the_queue_does(db: Database) -> None:
    setup = make_campaign(db, 3)
    last = _ids(db, setup.campaign_id)[-1]
    claim = claim_company(db=db, company_id=last, phoner="Anne", now=MONDAY_10)
    assert claim.company_id == last and claim.reason == "new"
    # the queue does not hand it to anyone else meanwhile
    others = [
        claim_next(db=db, campaign_id=setup.campaign_id, phoner="Bo", now=MONDAY_10)
        for _ in range(3)
    ]
    assert last not in [c.company_id for c in others if c is not None]
    # and the outcome is recorded under the claim
    record_outcome(
        db=db,
        company_id=last,
        lease_token=claim.lease_token,
        phoner="Anne",
        outcome=Outcome.HAR_KONTAKT,
        answers={},
        needs={},
        note=None,
        now=MONDAY_10,
    )


def test_a_company_another_phoner_holds_is_refused_politely(db: Database) -> None:
    setup = make_campaign(db, 2)
    held = claim_next(db=db, campaign_id=setup.campaign_id, phoner="Bo", now=MONDAY_10)
    assert held is not None
    with pytest.raises(Conflict, match="Bo taler med"):
        claim_company(db=db, company_id=held.company_id, phoner="Anne", now=MONDAY_10)
    # the phoner's own company comes back with a fresh lease (the old token is gone)
    again = claim_company(db=db, company_id=held.company_id, phoner="Bo", now=MONDAY_10)
    assert again.lease_token != held.lease_token
    assert not release(db=db, company_id=held.company_id, lease_token=held.lease_token)
    assert release(db=db, company_id=held.company_id, lease_token=again.lease_token)


def test_a_finished_company_can_be_taken_for_an_inbound_call(db: Database) -> None:
    setup = make_campaign(db, 1)
    claim = claim_next(db=db, campaign_id=setup.campaign_id, phoner="Anne", now=MONDAY_10)
    assert claim is not None
    record_outcome(
        db=db,
        company_id=claim.company_id,
        lease_token=claim.lease_token,
        phoner="Anne",
        outcome=Outcome.IKKE_INTERESSERET,
        answers={},
        needs={},
        note=None,
        now=MONDAY_10,
    )
    later = MONDAY_10.replace(hour=22)  # outside calling hours: the company called us
    inbound = claim_company(db=db, company_id=claim.company_id, phoner="Anne", now=later)
    assert inbound.company_id == claim.company_id

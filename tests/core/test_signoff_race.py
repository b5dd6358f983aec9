"""A jobcenter's decision and its sign-off racing on PostgreSQL.

On SQLite every write transaction takes the database's write lock at BEGIN, so the two
are serialised. PostgreSQL runs them side by side: without a lock on the jobcenter's part
of the campaign, a sign-off that read the list before a concurrent "fjern" committed would
overwrite the decision with "behold" (the company is then called), and a decision made
while a sign-off was committing would change a list that is already signed off.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlmodel import select

from phoner.core import jobcenters
from phoner.core.db import Database
from phoner.core.errors import Conflict
from phoner.core.lists import clearing, signoff
from phoner.core.models import Campaign, ClearingState, Company, Jobcenter
from tests.support import builders

pytestmark = pytest.mark.postgres


def _world(db: Database) -> tuple[int, int, int]:
    with db.session(write=True) as s:
        camp = builders.campaign(s)
        jc = builders.jobcenter(s, "Køge")
        co = builders.company(s, camp, jc, None, "Tømrer Hansen ApS", cvr="12345674")
        assert camp.id and jc.id and co.id
        jobcenters.campaign_jobcenter(session=s, campaign_id=camp.id, jobcenter_id=jc.id)
        return camp.id, jc.id, co.id


def _in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except Exception as exc:  # reported to the test thread
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    return t, out


def test_a_sign_off_waits_for_a_decision_being_made(pg_db: Database) -> None:
    camp_id, jc_id, co_id = _world(pg_db)
    with pg_db.session(write=True) as s:  # the decision, not yet committed
        co = s.get(Company, co_id)
        assert co is not None
        assert clearing.set_decision(
            session=s, company=co, decision=ClearingState.REMOVE, by="Karen"
        )
        s.flush()

        def sign() -> signoff.SignOffResult:
            with pg_db.session(write=True) as s2:
                camp, jc = s2.get(Campaign, camp_id), s2.get(Jobcenter, jc_id)
                assert camp is not None and jc is not None
                return signoff.sign_off(session=s2, campaign=camp, jobcenter=jc, by="Ole")

        t, out = _in_thread(sign)
        t.join(0.5)
        assert t.is_alive(), "the sign-off must wait for the decision being made"
    t.join(10)
    assert "error" not in out, out
    assert (out["value"].kept, out["value"].removed) == (0, 1)
    with pg_db.session() as s:
        state = s.exec(select(Company.clearing_state).where(Company.id == co_id)).one()
    assert state == ClearingState.REMOVE


def test_a_decision_during_a_sign_off_is_refused(pg_db: Database) -> None:
    camp_id, jc_id, co_id = _world(pg_db)
    with pg_db.session(write=True) as s:  # the sign-off, not yet committed
        camp, jc = s.get(Campaign, camp_id), s.get(Jobcenter, jc_id)
        assert camp is not None and jc is not None
        signoff.sign_off(session=s, campaign=camp, jobcenter=jc, by="Ole")

        def decide() -> bool:
            with pg_db.session(write=True) as s2:
                co = s2.get(Company, co_id)
                assert co is not None
                return clearing.set_decision(
                    session=s2, company=co, decision=ClearingState.REMOVE, by="Karen"
                )

        t, out = _in_thread(decide)
        t.join(0.5)
    t.join(10)
    assert isinstance(out.get("error"), Conflict), out
    with pg_db.session() as s:
        state = s.exec(select(Company.clearing_state).where(Company.id == co_id)).one()
    assert state == ClearingState.KEEP

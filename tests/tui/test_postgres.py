"""The call view on PostgreSQL: the same services, the same keys (skipped without a server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from phoner.config import Settings
from phoner.core.db import Database
from phoner.core.demo import DEMO_CAMPAIGN, build_demo
from phoner.core.models import CallAttempt, Company, Outcome
from phoner.tui.app import create_app
from tests.support.calling import start_calling
from tests.support.clock import Clock
from tests.support.pilot import settle

pytestmark = pytest.mark.postgres


async def test_call_record_and_undo_on_postgres(
    pg_db: Database, workspace: Path, clock: Clock, tmp_path: Path
) -> None:
    build_demo(db=pg_db, workspace=workspace)
    app = create_app(
        db=pg_db,
        settings=Settings(workspace=workspace, db_url="postgresql://"),
        campaign=DEMO_CAMPAIGN,
        phoner="Anne",
        clock=clock,
        config_dir=tmp_path / "config",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        await pilot.press("1", "2", "enter")  # har_kontakt
        await settle(pilot)
        with pg_db.session() as s:
            [attempt] = s.exec(select(CallAttempt)).all()
        assert attempt.outcome == Outcome.HAR_KONTAKT
        await pilot.press("u")
        await settle(pilot)
        assert screen.claim is not None and screen.claim.company_id == first.company_id
        # the undone answers are back on screen: q asks first, "Afslut uden at gemme"
        await pilot.press("q", "shift+tab", "enter")
        await pilot.pause()
    with pg_db.session() as s:
        assert s.exec(select(CallAttempt)).all() == []
        c = s.get(Company, first.company_id)
        assert c is not None and c.lease_holder is None

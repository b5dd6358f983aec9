"""The dashboard's held companies: a coordinator gives a stale lease back (Pilot)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from textual.widgets import DataTable

from phoner.core.db import Database
from phoner.core.models import AuditLog, Company, utcnow
from phoner.core.queue.claims import STALE_AFTER, claim_next
from phoner.tui.screens.dashboard import DashboardScreen
from phoner.tui.screens.dialogs import ConfirmDialog
from phoner.tui.screens.held import HeldCompaniesScreen
from tests.support.host import ScreenHost
from tests.support.pilot import settle
from tests.support.worlds import make_campaign


def _cells(table: DataTable) -> list[list[str]]:  # type: ignore[type-arg]
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_coordinator_releases_a_stale_lease_from_the_dashboard(sqlite_db: Database) -> None:
    s = make_campaign(sqlite_db, 3)
    now = utcnow()
    gone = claim_next(
        db=sqlite_db,
        campaign_id=s.campaign_id,
        phoner="Anne",
        now=now - STALE_AFTER - dt.timedelta(seconds=5),
        ignore_hours=True,
    )
    working = claim_next(
        db=sqlite_db, campaign_id=s.campaign_id, phoner="Bo", now=now, ignore_hours=True
    )
    assert gone is not None and working is not None
    app = ScreenHost(
        lambda: DashboardScreen(campaign_id=s.campaign_id),
        db=sqlite_db,
        clock=utcnow,
        actor="Kim",
        campaign_id=s.campaign_id,
    )
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HeldCompaniesScreen)
        rows = _cells(screen.query_one(DataTable))
        assert [(r[0], r[1], r[4]) for r in rows] == [
            ("Firma 0", "Anne", "uden livstegn"),
            ("Firma 1", "Bo", "aktiv"),
        ]
        # Bo is still working: no confirmation, nothing released
        await pilot.press("down", "f")
        await settle(pilot)
        assert app.screen is screen
        # Anne's terminal is gone: f, confirm, and the company is back in the queue
        await pilot.press("up", "f")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await settle(pilot)
        assert app.screen is screen
        assert [r[1] for r in _cells(screen.query_one(DataTable))] == ["Bo"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
    with sqlite_db.session() as session:
        anne = session.get(Company, gone.company_id)
        bo = session.get(Company, working.company_id)
        entry = session.exec(select(AuditLog).where(AuditLog.action == "release_lease")).one()
    assert anne is not None and anne.lease_holder is None
    assert bo is not None and bo.lease_holder == "Bo"
    assert entry.actor == "Kim" and entry.entity_id == gone.company_id
    # the released company is handed out again right away
    again = claim_next(
        db=sqlite_db, campaign_id=s.campaign_id, phoner="Cai", now=utcnow(), ignore_hours=True
    )
    assert again is not None and again.company_id == gone.company_id

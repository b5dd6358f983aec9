"""Every coordinator screen survives an expected failure: a notification, not an exit.

Textual closes the app when a worker raises (its default); phoner's screens run their
database work through ``phoner.tui.workers.db_worker``, and a failure ends up in
``app.show_error`` with core's message and a hint fit for the TUI.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen

from phoner.core.db import Database, translate_error
from phoner.core.errors import (
    AlreadySignedOff,
    CampaignNotFound,
    DatabaseError,
    DatabaseUnopenable,
    EmptyList,
    SchemaTooOld,
    UnreviewedProposals,
)
from phoner.tui import usecases
from phoner.tui.errors import error_text
from phoner.tui.screens.booking import BookingsScreen
from phoner.tui.screens.clearing import ClearingScreen
from phoner.tui.screens.dashboard import DashboardScreen
from phoner.tui.screens.followups import FollowUpsScreen
from phoner.tui.screens.visits import VisitsScreen
from tests.support.host import ScreenHost, errors
from tests.support.pilot import settle
from tests.support.worlds import clearing_world


def _locked(*_: object, **__: object) -> Any:
    error = translate_error(sqlite3.OperationalError("database is locked"))
    assert error is not None
    raise error


SCREENS: list[tuple[str, Callable[[int, int], Screen[Any]]]] = [
    ("dashboard", lambda c, _j: DashboardScreen(campaign_id=c)),
    ("followups", lambda c, _j: FollowUpsScreen(campaign_id=c)),
    ("visits", lambda c, _j: VisitsScreen(campaign_id=c)),
    ("clearing", lambda c, j: ClearingScreen(campaign_id=c, jobcenter_id=j)),
    ("bookings", lambda c, _j: BookingsScreen(campaign_id=c)),
]


@pytest.mark.parametrize(("read", "make"), SCREENS, ids=[s[0] for s in SCREENS])
async def test_a_locked_database_is_a_notification_and_the_app_keeps_running(
    sqlite_db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    read: str,
    make: Callable[[int, int], Screen[Any]],
) -> None:
    campaign_id, jobcenter_id = clearing_world(sqlite_db, tmp_path)
    monkeypatch.setattr(usecases, read, _locked)
    app = ScreenHost(lambda: make(campaign_id, jobcenter_id), db=sqlite_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.is_running and app.return_code is None
        assert errors(app) == [
            "Databasen er optaget af en anden bruger lige nu; intet blev gemt.\n"
            "Prøv igen om et øjeblik."
        ]
        # the screen is still there and works again once the database is free
        monkeypatch.undo()
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running and len(errors(app)) == 1


async def test_a_failed_write_is_a_notification_and_the_list_stays(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign_id, jobcenter_id = clearing_world(sqlite_db, tmp_path)
    monkeypatch.setattr(usecases, "set_clearing_decision", _locked)
    screen = ClearingScreen(campaign_id=campaign_id, jobcenter_id=jobcenter_id)
    app = ScreenHost(lambda: screen, db=sqlite_db, actor="Karen")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert app.is_running and app.screen is screen
        assert len(screen.rows) == 3
        assert errors(app) and errors(app)[-1].startswith("Databasen er optaget")


def test_the_tui_chooses_its_advice_by_error_type() -> None:
    # a front-end-neutral hint from core is shown as it is
    assert error_text(DatabaseError("Optaget.", hint="Prøv igen.")) == "Optaget.\nPrøv igen."
    # a failure whose fix depends on the front end: the TUI's own advice for its type
    assert error_text(DatabaseUnopenable("Kan ikke åbnes.")).startswith("Kan ikke åbnes.\nLuk")
    schema = SchemaTooOld("Forældet.", hint="Opgraderingen bevarer alle data.")
    assert "databasen skal opgraderes" in error_text(schema)
    assert "koordinerer" in error_text(AlreadySignedOff("Godkendt."))
    assert error_text(EmptyList("Ingen virksomheder.")).endswith(
        "skal importeres, før den kan godkendes."
    )
    # a type the TUI has no advice for: core's hint, or none
    assert error_text(CampaignNotFound("Findes ikke.")) == "Findes ikke."
    # the screen's own advice wins
    assert error_text(UnreviewedProposals("Nej."), "Tryk G.") == "Nej.\nTryk G."

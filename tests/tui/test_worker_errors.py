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
from phoner.core.errors import Conflict, DatabaseError, InvalidInput, SchemaOutOfDate
from phoner.tui import usecases
from phoner.tui.errors import error_text, names_cli
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


def test_hints_naming_the_cli_are_replaced_in_the_tui() -> None:
    assert names_cli("Importér listen først (phoner list import), eller brug --force.")
    assert names_cli("Tjek stien (--db / PHONER_DB) og mappens rettigheder.")
    assert not names_cli("Prøv igen om et øjeblik.")
    assert not names_cli("Ring igen i morgen - eller i overmorgen.")
    # a hint without a command is shown as it is
    assert error_text(DatabaseError("Optaget.", hint="Prøv igen.")) == "Optaget.\nPrøv igen."
    # a command-line hint: the TUI's own by type, or the screen's, never the flag
    cli = DatabaseError("Kan ikke åbnes.", hint="Tjek stien (--db / PHONER_DB).")
    assert "--db" not in error_text(cli) and error_text(cli).startswith("Kan ikke åbnes.\n")
    schema = SchemaOutOfDate("Forældet.", hint="Kør: phoner init")
    assert "databasen skal opgraderes" in error_text(schema)
    other = InvalidInput("Ingen virksomheder.", hint="Importér listen først, eller brug --force.")
    assert "--force" not in error_text(other) and "spørg" in error_text(other)
    assert error_text(Conflict("Nej.", hint="brug --force"), "Tryk G.") == "Nej.\nTryk G."

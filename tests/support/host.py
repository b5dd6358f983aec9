"""``ScreenHost``: the phoner app opening one given screen, for Pilot tests of a screen.

It is the real :class:`~phoner.tui.app.PhonerApp` (the same error path, clock, catalog
and styles) except that it opens the screen the test gives instead of the start screen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.screen import Screen

from phoner.config import Settings
from phoner.core.db import Database
from phoner.tui.app import PhonerApp
from tests.support.clock import Clock


class ScreenHost(PhonerApp):
    """Open ``make_screen()`` on mount (a factory: screens are built inside the app)."""

    def __init__(
        self,
        make_screen: Callable[[], Screen[Any]],
        *,
        db: Database,
        clock: Callable[[], Any] | None = None,
        actor: str | None = None,
        campaign_id: int | None = None,
        workspace: Path | None = None,
        lang: str = "da",
        config_dir: Path | None = None,
    ) -> None:
        settings = Settings(workspace=workspace or Path.cwd(), db_url=str(db.engine.url), lang=lang)
        super().__init__(
            db=db,
            settings=settings,
            phoner=actor,
            clock=clock or Clock(),
            config_dir=config_dir or Path("/nonexistent/phoner-test-config"),
        )
        self.campaign_id = campaign_id
        self._make_screen = make_screen
        #: What the screen was dismissed with ("pending" while it is open).
        self.result: Any = "pending"

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # not PhonerApp's: it would open the start screen on top
        self.push_screen(self._make_screen(), self._dismissed)

    def _dismissed(self, result: Any) -> None:
        self.result = result


def notifications(app: PhonerApp) -> list[str]:
    """The texts of the notifications the app shows now (what the user reads)."""
    return [n.message for n in app._notifications]


def errors(app: PhonerApp) -> list[str]:
    """The error notifications the app shows now (message and hint)."""
    return [n.message for n in app._notifications if n.severity == "error"]

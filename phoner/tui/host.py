"""What a screen may ask of the app it runs in (a typed protocol, not attribute guessing).

Screens read the database, the settings, the clock, who is at the keyboard and the chosen
campaign from their :class:`Host`; they never import the app module (the app imports
them). :class:`phoner.tui.app.PhonerApp` is the one production host; tests use a small
host app of their own (``tests/support/host.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from phoner.config import Settings
from phoner.core.db import Database


@runtime_checkable
class Host(Protocol):
    """The app as the screens see it."""

    db: Database
    settings: Settings

    @property
    def campaign_id(self) -> int | None:
        """The campaign chosen on the start screen (None before one is chosen)."""
        ...

    @property
    def actor(self) -> str:
        """Who is at the keyboard, for the audit log (the phoner's name, or ``tui``)."""
        ...

    def now(self) -> dt.datetime:
        """The injected clock (aware UTC)."""
        ...

    def today(self) -> dt.date:
        """Today in Copenhagen by the injected clock."""
        ...

    def show_error(self, exc: BaseException, *, hint: str | None = None) -> None:
        """Show a failure as a notification (message and hint); never a traceback."""
        ...

"""Helpers for Pilot tests of the phoner's call view."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from textual.pilot import Pilot

from phoner.core.db import Database
from phoner.core.models import CallAttempt
from phoner.tui.screens.call import CallScreen
from tests.support.host import errors
from tests.support.pilot import settle


async def start_calling(pilot: Pilot[Any]) -> CallScreen:
    """From the start screen: the name is filled in, Enter starts the call view."""
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CallScreen)
    assert screen.claim is not None, errors(pilot.app)  # type: ignore[arg-type]
    return screen


def attempts(db: Database) -> list[CallAttempt]:
    with db.session() as s:
        return list(s.exec(select(CallAttempt).order_by(col(CallAttempt.id))).all())

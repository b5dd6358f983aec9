"""Pilot tests: the slips that lost a phoner's work (issue 14)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input

from phoner.tui.app import PhonerApp
from tests.support.pilot import settle


async def test_typing_replaces_the_remembered_name(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Mette Jensen")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"Lars")
        assert app.screen.query_one("#name", Input).value == "Lars"

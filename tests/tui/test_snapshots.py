"""Snapshot tests of the main views (fixed clock and data; no dates or paths on screen).

Update after an intended change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from phoner.tui.app import PhonerApp
from tests.support.pilot import settle

MakeApp = Callable[..., PhonerApp]


def keys(*presses: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A run_before that waits for the workers between key presses."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in presses:
            await pilot.press(key)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor is not deterministic
        await pilot.pause()

    return run


def test_start_screen(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(phoner="Anne Hansen"), run_before=keys())


def test_call_view_first_question(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(phoner="Anne Hansen"), run_before=keys("enter"))


def test_call_view_mid_script_large(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(
        make_app(phoner="Anne Hansen"),
        run_before=keys("enter", "1", "3"),
        terminal_size=(120, 36),
    )


def test_call_view_outcome_reached(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(phoner="Anne Hansen"), run_before=keys("enter", "1", "2"))


def test_call_view_needs_form(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(
        make_app(phoner="Anne Hansen"),
        run_before=keys("enter", "b", *"Pedel"),
        terminal_size=(100, 30),
    )


def test_faq_search(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(phoner="Anne Hansen"), run_before=keys("enter", "h", *"bøvl"))


def test_callback_picker(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(phoner="Anne Hansen"), run_before=keys("enter", "r"))


def test_call_list(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(phoner="Anne Hansen"), run_before=keys("ctrl+l"))


def test_call_view_english(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(lang="en", phoner="Anne Hansen"), run_before=keys("enter"))


def test_not_interested_reason_dialog(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(phoner="Anne Hansen"), run_before=keys("enter", "3", "enter"))


def test_not_now_revisit_dialog(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(phoner="Anne Hansen"), run_before=keys("enter", "e"))


def test_contact_correction_dialog(snap_compare: Any, make_app: MakeApp) -> None:
    assert snap_compare(make_app(phoner="Anne Hansen"), run_before=keys("enter", "p"))

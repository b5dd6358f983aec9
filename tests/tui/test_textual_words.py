"""Textual's own words (command palette, keys panel) in the phoner's language (issue 14)."""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.console import Console
from textual.command import CommandInput, CommandList
from textual.widgets import Input

from phoner.tui.app import PhonerApp
from phoner.tui.keys import PhonerKeyPanel
from tests.support.calling import start_calling
from tests.support.pilot import settle

#: Words of Textual's English system commands and binding descriptions.
ENGLISH = re.compile(
    r"\b(Search|commands?|Keys|Maximi[sz]e|Minimi[sz]e|Quit|Screenshot|Focus|Prev|Previous|"
    r"Copy|selected|Cursor|cursor|Delete|Move|Select|Submit|Paste|Scroll|Page|Theme|Input|"
    r"palette|Next|Show|Save|Toggle|application|possible|Press|button|Cut|word)\b"
)


def _text(renderable: object) -> str:
    console = Console(record=True, width=100, color_system=None)
    console.print(renderable)
    return console.export_text()


async def _palette_text(app: PhonerApp, pilot: object) -> str:
    await pilot.press("ctrl+p")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.pause(0.3)  # type: ignore[attr-defined]
    palette = app.screen
    placeholder = palette.query_one(CommandInput).placeholder
    options = palette.query_one(CommandList)
    prompts = [_text(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    await pilot.press("escape")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    return "\n".join([placeholder, *prompts])


def _keys_text(app: PhonerApp) -> tuple[str, list[list[str]]]:
    panel = app.screen.query_one(PhonerKeyPanel)
    table = panel.query_one("BindingsTable").render()
    rows = [[str(c) for c in col._cells] for col in table.columns]  # type: ignore[attr-defined]
    return _text(table), [list(r) for r in zip(*rows, strict=True)]


async def test_palette_and_keys_panel_are_danish(make_app: Callable[..., PhonerApp]) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, Input)  # the name field: Input's many bindings
        text = await _palette_text(app, pilot)
        assert "Søg efter en kommando" in text and "Taster" in text and "Afslut" in text
        assert "Skærmbillede" in text and "Overblik" in text
        assert not ENGLISH.search(text), ENGLISH.findall(text)
        app.action_show_help_panel()
        await settle(pilot)
        shown, rows = _keys_text(app)
        assert "Næste felt" in shown and "Forrige felt" in shown and "Kopiér" in shown
        assert "Skift+Tab" in shown
        assert not ENGLISH.search(shown), ENGLISH.findall(shown)
        # every key has its words (no bare keys)
        assert all(description.strip() for key, description in rows if key.strip())
        # the call list: a table's keys
        app.action_hide_help_panel()
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert type(app.screen).__name__ == "CallListScreen"
        app.action_show_help_panel()
        await settle(pilot)
        shown, _rows = _keys_text(app)
        assert not ENGLISH.search(shown), ENGLISH.findall(shown)


async def test_palette_in_english_when_asked(make_app: Callable[..., PhonerApp]) -> None:
    app = make_app(lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = await _palette_text(app, pilot)
        assert "Search for a command" in text and "Keys" in text and "Quit" in text


async def test_palette_says_no_matches_in_danish(make_app: Callable[..., PhonerApp]) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"xqzzy")
        await pilot.pause(0.8)  # Textual waits half a second before it says so
        options = app.screen.query_one(CommandList)
        prompts = [
            _text(options.get_option_at_index(i).prompt) for i in range(options.option_count)
        ]
        assert any("Ingen kommandoer passer" in p for p in prompts), prompts
        assert not any("No matches" in p for p in prompts)


async def test_call_screen_keys_panel_is_danish(make_app: Callable[..., PhonerApp]) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_calling(pilot)
        app.action_show_help_panel()
        await settle(pilot)
        shown, rows = _keys_text(app)
        assert "Senere" in shown and "Ret kontakt" in shown
        assert not ENGLISH.search(shown), ENGLISH.findall(shown)
        assert all(description.strip() for key, description in rows if key.strip())

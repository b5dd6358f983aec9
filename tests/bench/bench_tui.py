"""The call view's responsiveness: key press to screen update, against a bare Textual app.

Both apps run headless (``App.run_test``) at 80x24. A "press" is ``pilot.press`` (returns
when the screen and its widgets have processed every pending event) plus the screen
update. The call view's presses answer a script question and go back again (``1``,
``⌫``), which re-renders the script panel; the bare app updates one label per press.
The ratio says what the call view costs on top of Textual itself. A full call (``i``:
record the outcome, claim the next company, load its card and the status line) is
measured too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from phoner.config import Settings
from phoner.core.db import Database, make_engine
from phoner.core.demo import DEMO_CAMPAIGN, build_demo
from phoner.tui.app import create_app
from phoner.tui.screens.call import CallScreen
from tests.support.bench import Bench, percentiles

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in Copenhagen


class BareApp(App[None]):
    """The baseline: one label, one key that changes it."""

    BINDINGS = [Binding("1", "bump"), Binding("backspace", "bump")]

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def compose(self) -> ComposeResult:
        yield Label("0", id="label")

    def action_bump(self) -> None:
        self.n += 1
        self.query_one("#label", Label).update(str(self.n))


async def _time_presses(app: App[None], keys: list[str], setup: object = None) -> list[float]:
    samples: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        if setup is not None:
            await setup(pilot)  # type: ignore[operator]
        for _ in range(5):  # warm up
            await pilot.press(keys[0])
            await pilot.pause()
            await pilot.press(keys[1])
            await pilot.pause()
        for key in keys:
            start = time.perf_counter()
            await pilot.press(key)  # returns when the screen has processed every event
            app.screen._on_timer_update()  # and paint it now (what Pilot.pause ends with)
            samples.append(time.perf_counter() - start)
    return samples


async def _settle(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(5):
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]


async def _start_call(pilot: object) -> None:
    await _settle(pilot)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await _settle(pilot)
    assert isinstance(pilot.app.screen, CallScreen)  # type: ignore[attr-defined]


async def _time_calls(app: App[None], n: int) -> list[float]:
    samples: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await _start_call(pilot)
        screen = app.screen
        assert isinstance(screen, CallScreen)
        for _ in range(n):
            before = screen.claim
            start = time.perf_counter()
            await pilot.press("i")
            while screen.busy or screen.claim == before:  # until the next company is shown
                await asyncio.sleep(0.001)
            app.screen._on_timer_update()
            samples.append(time.perf_counter() - start)
            assert screen.claim is not None
    return samples


def run(bench: Bench) -> None:
    presses = bench.size(400, 20)
    keys = ["1", "backspace"] * (presses // 2)
    bare = asyncio.run(_time_presses(BareApp(), keys))
    bare_median, bare_p95 = percentiles(bare)
    bench.figure("tui: key press -> update, bare Textual app (median)", bare_median * 1000, "ms")

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        shutil.copytree(REPO / "scripts", ws / "scripts")
        url = f"sqlite:///{ws / 'phoner.db'}"
        db = Database(make_engine(url))
        db.upgrade()
        build_demo(db=db, workspace=ws)

        def app() -> App[None]:
            return create_app(
                db=db,
                settings=Settings(workspace=ws, db_url=url),
                campaign=DEMO_CAMPAIGN,
                phoner="Bench",
                clock=lambda: NOW,
                config_dir=ws / "config",
            )

        view = asyncio.run(_time_presses(app(), keys, setup=_start_call))
        median, p95 = percentiles(view)
        bench.figure(
            "tui: key press -> update, call view answer/back (median)",
            median * 1000,
            "ms",
            ratio=median / bare_median,
            ratio_to="bare Textual app",
        )
        bench.figure(
            "tui: key press -> update, call view answer/back (p95)",
            p95 * 1000,
            "ms",
            ratio=p95 / bare_p95,
            ratio_to="bare Textual app p95",
        )
        calls = asyncio.run(_time_calls(app(), bench.size(60, 5)))
        c_median, c_p95 = percentiles(calls)
        bench.figure(
            "tui: 'i' -> outcome saved, next company on screen (median)",
            c_median * 1000,
            "ms",
            ratio=c_median / bare_median,
            ratio_to="bare Textual key press",
        )
        bench.figure(
            "tui: 'i' -> outcome saved, next company on screen (p95)",
            c_p95 * 1000,
            "ms",
            ratio=c_p95 / bare_p95,
            ratio_to="bare Textual key press p95",
        )
        db.dispose()

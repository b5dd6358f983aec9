"""Waiting in Pilot tests: until the workers are done and the screen has caught up."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.pilot import Pilot


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker is done and the screen has caught up."""
    app = pilot.app
    for _ in range(5):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break


async def type_fast(pilot: Pilot[Any], *keys: str) -> None:
    """Send ``keys`` the way a paste or a lagging terminal does: all queued at once.

    ``pilot.press`` waits for the app to be idle after every key, which hides bugs where
    a key is routed before the previous one (a Tab, an Enter) has moved the focus.
    """
    app = pilot.app
    driver = app._driver
    assert driver is not None
    for key in keys:
        char = key if len(key) == 1 else None
        if key == "space":
            char = " "
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)
    await pilot.pause()
    await settle(pilot)

"""The one way the TUI runs work off the UI thread.

Every database call of a screen runs in a thread worker made by :func:`db_worker`. Such a
worker never closes the app when it fails (Textual's default is to exit on a worker's
exception, so an expected "database is locked" would end the phoner's day): the failure
becomes a ``Worker.StateChanged`` in state ERROR, which the screen base
(:mod:`phoner.tui.screens.base`) hands to ``app.show_error``, the one place errors are
shown. A worker never returns its result to be read from ``worker.result``; it posts a
Message to its screen, and the screen updates itself on the UI thread.

This is the only module that may use Textual's ``@work`` (a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec

from textual import work
from textual.worker import Worker

P = ParamSpec("P")


def db_worker(
    group: str, *, exclusive: bool = True
) -> Callable[[Callable[P, None]], Callable[P, Worker[None]]]:
    """Decorate a method to run in a thread worker of ``group``.

    ``exclusive`` (the default) cancels a running worker of the same group when a new one
    starts (a reload replaces the previous one). Pass ``exclusive=False`` for a write that
    must not be cancelled by the next reload.
    """
    return work(thread=True, exclusive=exclusive, group=group, exit_on_error=False)

"""What every phoner screen shares: worker errors go to the app's one handler."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from phoner.tui.i18n import DA, t

if TYPE_CHECKING:
    from phoner.tui.app import PhonerApp

T = TypeVar("T")


def report_worker(node: Any, event: Worker.StateChanged) -> None:
    """Send a failed worker's error to the app (the single place errors are shown)."""
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        node.app.show_error(event.worker.error)


def translate_bindings(node: DOMNode) -> None:
    """Bindings are declared with catalog keys as descriptions; show them translated.

    Done per instance, because the language is chosen when the app starts, after the
    classes were defined.
    """
    bindings = node._bindings
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            dataclasses.replace(b, description=t(b.description)) if b.description in DA else b
            for b in items
        ]


class PhonerScreen(Screen[None]):
    """A full screen of the phoner app."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @property
    def phoner_app(self) -> PhonerApp:
        return self.app  # type: ignore[return-value]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker(self, event)
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker[Any]) -> None:
        """Hook: put the screen back in a usable state after a failed worker."""


class PhonerModal(ModalScreen[T]):
    """A modal dialog of the phoner app returning a typed result."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @property
    def phoner_app(self) -> PhonerApp:
        return self.app  # type: ignore[return-value]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker(self, event)

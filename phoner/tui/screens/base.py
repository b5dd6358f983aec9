"""What every phoner screen shares.

- :class:`PhonerScreen` / :class:`PhonerModal`: a failed worker goes to the app's one
  error path (``host.show_error``: message and hint), bindings are translated, and the
  screen reads the database, clock and actor from its :class:`~phoner.tui.host.Host`.
- :class:`DataScreen`: ``fetch()`` runs in a worker, its result comes back as a
  :class:`DataScreen.Loaded` message and is shown by ``show()`` on the UI thread;
  :meth:`DataScreen.write` runs a change in a worker and reloads after it.
- :class:`TableScreen`: a :class:`DataScreen` around one table of rows (follow-ups,
  visits, clearing, bookings): columns from the catalog, a title line, the selected row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from phoner.core.errors import PhonerError
from phoner.tui.i18n import has_key, t
from phoner.tui.workers import db_worker

if TYPE_CHECKING:
    from phoner.core.db import Database
    from phoner.tui.app import PhonerApp
    from phoner.tui.host import Host

T = TypeVar("T")
D = TypeVar("D")
Row = TypeVar("Row")
Severity = Literal["information", "warning", "error"]
Cell = str | Text


def report_worker(node: DOMNode, event: Worker.StateChanged, hint: str | None = None) -> None:
    """Send a failed worker's error to the app (the single place errors are shown)."""
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        host = cast("Host", node.app)
        host.show_error(event.worker.error, hint=hint)


def translate_bindings(node: DOMNode) -> None:
    """Bindings are declared with catalog keys as descriptions; show them translated.

    Done per instance, because the language is chosen when the app starts, after the
    classes were defined.
    """
    bindings = node._bindings
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            dataclasses.replace(b, description=t(b.description)) if has_key(b.description) else b
            for b in items
        ]


class _HostMixin:
    """The host's services, for screens and modals alike."""

    app: Any

    @property
    def host(self) -> Host:
        return cast("Host", self.app)

    @property
    def phoner_app(self) -> PhonerApp:
        """The app itself, for the phoner's own screens (start, call view, call list)."""
        return cast("PhonerApp", self.app)

    @property
    def db(self) -> Database:
        return self.host.db

    def now(self) -> dt.datetime:
        return self.host.now()


class PhonerScreen(_HostMixin, Screen[None]):
    """A full screen of the phoner app."""

    #: Hints the TUI shows instead of core's (which may name CLI flags), by error type.
    HINTS: ClassVar[dict[type[PhonerError], str]] = {}

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            report_worker(self, event, self.hint_for(event.worker.error))
            self.worker_failed(event.worker)

    def hint_for(self, error: BaseException | None) -> str | None:
        """The screen's own hint for a failure (a catalog key's text), or None."""
        for kind, key in self.HINTS.items():
            if isinstance(error, kind):
                return t(key)
        return None

    def worker_failed(self, worker: Worker[Any]) -> None:
        """Hook: put the screen back in a usable state after a failed worker."""


class PhonerModal(_HostMixin, ModalScreen[T]):
    """A modal dialog of the phoner app returning a typed result."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker(self, event)


# --------------------------------------------------------------------------- data screens


class DataScreen(PhonerScreen, Generic[D]):
    """A screen that shows what :meth:`fetch` reads, reloaded on ``r`` and after changes."""

    class Loaded(Message):
        """``fetch()`` finished in the worker; ``data`` is shown on the UI thread."""

        def __init__(self, data: object) -> None:
            self.data = data
            super().__init__()

    class Written(Message):
        """A change made in a worker succeeded; ``text`` says so."""

        def __init__(self, text: str, severity: Severity) -> None:
            self.text = text
            self.severity = severity
            super().__init__()

    def fetch(self) -> D:
        """Read what the screen shows (runs in a worker thread: no widgets here)."""
        raise NotImplementedError

    def show(self, data: D) -> None:
        """Show what :meth:`fetch` read (UI thread)."""
        raise NotImplementedError

    def action_reload(self) -> None:
        self.load()

    @db_worker("load")
    def load(self) -> None:
        self.post_message(self.Loaded(self.fetch()))

    @on(Loaded)
    def _loaded(self, message: DataScreen.Loaded) -> None:
        message.stop()
        self.show(cast(D, message.data))

    def write(self, change: Callable[[], str], *, severity: Severity = "information") -> None:
        """Run ``change`` (a use case; returns the text to show) in a worker, then reload."""
        self._write(change, severity)

    @db_worker("write", exclusive=False)
    def _write(self, change: Callable[[], str], severity: Severity) -> None:
        self.post_message(self.Written(change(), severity))

    @on(Written)
    def _written(self, message: DataScreen.Written) -> None:
        message.stop()
        self.notify(message.text, severity=message.severity, timeout=8)
        self.written(message.text)
        self.load()

    def written(self, text: str) -> None:
        """Hook: show a change's outcome on the screen too (besides the notification)."""


@dataclass(frozen=True)
class Listing(Generic[Row]):
    """What a table screen's ``fetch`` returns: the rows and the line above them."""

    rows: Sequence[Row]
    title: str
    extra: dict[str, Any] = field(default_factory=dict)


class TableScreen(DataScreen[Listing[Row]]):
    """A list screen: one table of ``Row``, a title line, ``r`` reloads, Escape goes back.

    Subclasses set ``COLUMNS`` (catalog keys) and the widget ids, and implement
    :meth:`fetch` (returning a :class:`Listing`) and :meth:`cells` (one row's cells).
    """

    COLUMNS: ClassVar[tuple[str, ...]] = ()
    TITLE_ID: ClassVar[str] = "title"
    TABLE_ID: ClassVar[str] = "table"
    TITLE_KEY: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []

    def compose(self) -> ComposeResult:
        yield Static(t(self.TITLE_KEY), id=self.TITLE_ID)
        yield from self.compose_top()
        yield Static("", classes="table-empty", markup=False)
        yield DataTable(id=self.TABLE_ID, cursor_type="row", zebra_stripes=True)
        yield from self.compose_bottom()

    def compose_top(self) -> ComposeResult:
        """Hook: widgets between the title and the table (a filter bar)."""
        yield from ()

    def compose_bottom(self) -> ComposeResult:
        """Hook: widgets under the table (the footer by default)."""
        yield Footer()

    @property
    def table(self) -> DataTable[Cell]:
        return self.query_one(f"#{self.TABLE_ID}", DataTable)

    def on_mount(self) -> None:
        self.table.add_columns(*(t(key) for key in self.COLUMNS))
        self.load()

    def cells(self, row: Row) -> Sequence[Cell]:
        """One row's cells, in the order of ``COLUMNS``."""
        raise NotImplementedError

    def row_key(self, row: Row) -> str | None:
        return None

    def show(self, data: Listing[Row]) -> None:
        self.rows = list(data.rows)
        table = self.table
        cursor = table.cursor_row
        table.clear()
        for row in self.rows:
            table.add_row(*self.cells(row), key=self.row_key(row))
        if self.rows:
            table.move_cursor(row=min(max(cursor, 0), len(self.rows) - 1))
        self.query_one(f"#{self.TITLE_ID}", Static).update(data.title)
        empty = self.query_one(".table-empty", Static)
        empty.update("" if self.rows else self.empty_text())
        empty.display = not self.rows
        self.shown(data)

    def empty_text(self) -> str:
        """Hook: what to say when there are no rows (and how to see more)."""
        return ""

    def shown(self, data: Listing[Row]) -> None:
        """Hook: update what else the screen shows after the rows."""

    def selected(self) -> Row | None:
        table = self.table
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

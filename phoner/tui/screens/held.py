"""The coordinator's list of companies held by phoners, to give a stale one back.

Opened from the dashboard (``l``). A phoner's screen renews its lease every 15 seconds
(:data:`phoner.core.queue.claims.HEARTBEAT`); a company whose phoner has gone without a
word (a closed laptop, a crashed terminal) shows "uden livstegn" and can be put back in
the queue with ``f`` after a confirmation, so it need not wait for the lease to run out.
The release is audited with the coordinator as actor; one whose phoner is still working
is refused by the core.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from phoner.core.db import Database
from phoner.core.errors import PhonerError
from phoner.core.models import utcnow
from phoner.core.queue import claims
from phoner.core.queue.claims import HeldCompany
from phoner.core.workdays import format_local
from phoner.tui.screens.clearing import ConfirmModal


def _ago(moment: dt.datetime, now: dt.datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    return f"{seconds} sek. siden" if seconds < 120 else f"{seconds // 60} min. siden"


class HeldCompaniesScreen(ModalScreen[None]):
    """Who holds which company right now; ``f`` gives a stale one back to the queue."""

    DEFAULT_CSS = """
    HeldCompaniesScreen { align: center middle; }
    HeldCompaniesScreen > Vertical { width: 100; height: auto; max-height: 90%;
        border: thick $primary; padding: 0 1; }
    HeldCompaniesScreen #held-title { height: auto; text-style: bold; padding: 0 0 1 0; }
    HeldCompaniesScreen DataTable { height: auto; max-height: 20; }
    """
    BINDINGS = [
        Binding("f", "release", "Frigiv"),
        Binding("r", "reload", "Opdatér"),
        Binding("escape", "close", "Tilbage"),
    ]

    class Loaded(Message):
        def __init__(self, held: list[HeldCompany], now: dt.datetime) -> None:
            self.held = held
            self.now = now
            super().__init__()

    class Released(Message):
        def __init__(self, company: str) -> None:
            self.company = company
            super().__init__()

    def __init__(
        self,
        *,
        db: Database,
        campaign_id: int,
        actor: str,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.campaign_id = campaign_id
        self.actor = actor
        self._now = now or utcnow
        self.held: list[HeldCompany] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Reserverede virksomheder", id="held-title")
            yield DataTable(id="held-table", cursor_type="row", zebra_stripes=True)
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(
            "Virksomhed", "Telefonist", "Hentet", "Sidste livstegn", "Status"
        )
        self.action_reload()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="held", exit_on_error=False)
    def _load(self) -> None:
        now = self._now()
        with self.db.session() as session:
            held = claims.held_companies(session=session, campaign_id=self.campaign_id, now=now)
        self.post_message(self.Loaded(held, now))

    @work(thread=True, exclusive=True, group="held", exit_on_error=False)
    def _release(self, held: HeldCompany) -> None:
        claims.release_stale(
            db=self.db,
            company_id=held.company_id,
            lease_token=held.lease_token,
            coordinator=self.actor,
            now=self._now(),
        )
        self.post_message(self.Released(held.company))

    def on_held_companies_screen_loaded(self, message: Loaded) -> None:
        self.held = message.held
        table = self.query_one(DataTable)
        table.clear()
        for h in message.held:
            table.add_row(
                h.company,
                h.holder,
                format_local(h.since) if h.since else "–",
                _ago(h.last_heartbeat, message.now),
                "uden livstegn" if h.stale else "aktiv",
            )
        stale = sum(h.stale for h in message.held)
        self.query_one("#held-title", Static).update(
            f"Reserverede virksomheder: {len(message.held)}, heraf {stale} uden livstegn"
            + ("  ·  f frigiver den valgte" if stale else "")
        )

    def on_held_companies_screen_released(self, message: Released) -> None:
        self.notify(f"{message.company} er lagt tilbage i køen.")
        self.action_reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "held" or event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, PhonerError):
            text = error.message + (f" {error.hint}" if error.hint else "")
        else:
            text = f"Uventet fejl: {error}"
        self.notify(text, severity="error")
        self.action_reload()

    def action_release(self) -> None:
        table = self.query_one(DataTable)
        if not self.held or not 0 <= table.cursor_row < len(self.held):
            self.notify("Ingen virksomhed valgt.", severity="warning")
            return
        held = self.held[table.cursor_row]
        if not held.stale:
            self.notify(
                f"{held.holder} arbejder stadig på {held.company}; kun en reservation "
                "uden livstegn kan frigives.",
                severity="warning",
            )
            return

        def chosen(yes: bool | None) -> None:
            if yes:
                self._release(held)

        self.app.push_screen(
            ConfirmModal(
                f"Læg {held.company} tilbage i køen? {held.holder} har ikke givet livstegn "
                f"siden {format_local(held.last_heartbeat)}; et udfald, "
                f"{held.holder} registrerer bagefter, bliver ikke gemt.",
                "Frigiv",
            ),
            chosen,
        )

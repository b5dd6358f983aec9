"""A consultant's follow-ups: what was promised to whom, by when; mark them done.

``FollowUpsScreen(db=..., campaign_id=..., consultant_id=None, actor="...")`` lists the
open follow-ups (overdue first, in red), of one consultant or of everybody. ``d`` marks
the selected one done (with an optional note), ``a`` toggles showing the done ones too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Static
from textual.worker import Worker, WorkerState

from phoner.core import followups as fu
from phoner.core.db import Database
from phoner.core.errors import PhonerError
from phoner.core.models import FollowUpKind
from phoner.core.phones import format_phone

KIND_LABELS = {
    FollowUpKind.CALL_COMPANY: "Ring op",
    FollowUpKind.AGREEMENT: "Aftale",
    FollowUpKind.OTHER: "Andet",
}


class DoneNoteModal(ModalScreen[str | None]):
    """Ask for an optional note when a follow-up is marked done (Escape cancels)."""

    DEFAULT_CSS = """
    DoneNoteModal { align: center middle; }
    DoneNoteModal > Vertical { width: 70; height: auto; border: thick $accent; padding: 1 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Fortryd")]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(placeholder="Note (valgfri), fx 'Ringet, aftalt besøg'", id="note")
            yield Button("Markér som udført", id="ok", variant="primary")

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted, "#note")
    def ok(self) -> None:
        self.dismiss(self.query_one("#note", Input).value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class FollowUpsScreen(Screen[None]):
    """Follow-ups of a campaign (optionally one consultant's), overdue first."""

    DEFAULT_CSS = """
    FollowUpsScreen #fu-title { height: 1; padding: 0 1; text-style: bold; }
    FollowUpsScreen #fu-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("d", "done", "Udført"),
        Binding("a", "toggle_all", "Vis alle/åbne"),
        Binding("r", "reload", "Opdatér"),
        Binding("escape", "app.pop_screen", "Tilbage"),
    ]

    def __init__(
        self,
        *,
        db: Database,
        campaign_id: int,
        consultant_id: int | None = None,
        actor: str = "tui",
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.campaign_id = campaign_id
        self.consultant_id = consultant_id
        self.actor = actor
        self._today = today
        self.include_done = False
        self.rows: list[fu.FollowUpRow] = []

    def compose(self) -> ComposeResult:
        yield Static("Opfølgninger", id="fu-title")
        yield DataTable(id="fu-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#fu-table", DataTable).add_columns(
            "Frist", "Status", "Type", "Virksomhed", "Telefon", "Ansvarlig", "Hvad"
        )
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    def action_toggle_all(self) -> None:
        self.include_done = not self.include_done
        self.load()

    @work(thread=True, exclusive=True, group="followups")
    def load(self) -> list[fu.FollowUpRow]:
        with self.db.session() as session:
            return fu.list_followups(
                session=session,
                campaign_id=self.campaign_id,
                consultant_id=self.consultant_id,
                include_done=self.include_done,
                today=self._today() if self._today else None,
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "followups":
            return
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, list):
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            message = error.message if isinstance(error, PhonerError) else str(error)
            self.notify(message, severity="error")

    def show(self, rows: list[fu.FollowUpRow]) -> None:
        self.rows = rows
        table = self.query_one("#fu-table", DataTable)
        table.clear()
        for r in rows:
            f = r.followup
            status = "OVERSKREDET" if r.overdue else ("Udført" if r.done else "Åben")
            table.add_row(
                f"{f.due_date:%d-%m-%Y}",
                f"[b red]{status}[/]" if r.overdue else status,
                KIND_LABELS[f.kind],
                r.company_name,
                format_phone(r.company_phone) if r.company_phone else "–",
                r.consultant_name or "ingen",
                f.description,
                key=str(f.id),
            )
        overdue = sum(1 for r in rows if r.overdue)
        scope = "alle" if self.include_done else "åbne"
        self.query_one("#fu-title", Static).update(
            f"Opfølgninger ({scope}): {len(rows)}, heraf {overdue} med overskredet frist"
        )

    def selected(self) -> fu.FollowUpRow | None:
        table = self.query_one("#fu-table", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def action_done(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.done:
            self.notify("Opfølgningen er allerede udført.")
            return
        followup_id = row.followup.id
        assert followup_id is not None

        def after(note: str | None) -> None:
            if note is None:
                return
            try:
                with self.db.session(write=True) as session:
                    fu.mark_done(
                        session=session,
                        followup_id=followup_id,
                        actor=self.actor,
                        note=note or None,
                    )
            except PhonerError as exc:
                self.notify(exc.message, severity="error")
                return
            self.notify(f"Markeret som udført: {row.company_name}")
            self.load()

        self.app.push_screen(DoneNoteModal(f"Udført: {row.company_name}"), after)

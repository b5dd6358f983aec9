"""A consultant's visits, and the form to record what happened and what was agreed.

``VisitsScreen(db=..., campaign_id=..., consultant_id=None, actor="...")`` lists the booked
visits (visits in the past without a result are marked). Enter (or ``e``) opens
:class:`VisitResultModal`: meeting status, the company's reason when it cancelled, the
number of places agreed per category, and a note. Saving calls
:func:`phoner.core.visits.record_visit_result` (audited; a held visit enters the contact
history).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from phoner.core import visits as visits_mod
from phoner.core.db import Database
from phoner.core.errors import PhonerError
from phoner.core.models import (
    AgreementCategory,
    CompanyCancelReason,
    MeetingStatus,
    utcnow,
)
from phoner.core.workdays import format_local


@dataclass(frozen=True)
class VisitResultInput:
    """What the form returns."""

    status: MeetingStatus
    reason: CompanyCancelReason | None
    agreements: dict[AgreementCategory, int]
    note: str | None


class VisitResultModal(ModalScreen[VisitResultInput | None]):
    """The result form for one visit (Escape cancels)."""

    DEFAULT_CSS = """
    VisitResultModal { align: center middle; }
    VisitResultModal > VerticalScroll {
        width: 84; height: 90%; border: thick $accent; padding: 1 2;
    }
    VisitResultModal Grid { grid-size: 2; grid-columns: 1fr 12; height: auto; grid-gutter: 0 1; }
    VisitResultModal Grid Label { padding: 1 0 0 0; }
    VisitResultModal #vr-error { color: $error; height: auto; }
    VisitResultModal Horizontal { height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Fortryd")]

    def __init__(self, title: str, current: visits_mod.VisitRow | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.current = current

    def compose(self) -> ComposeResult:
        result = self.current.result if self.current else None
        agreements = self.current.agreements if self.current else {}
        with VerticalScroll():
            yield Label(self.title_text)
            yield Select(
                [(label, s.value) for s, label in visits_mod.MEETING_STATUS_LABELS.items()],
                prompt="Mødestatus",
                id="vr-status",
                value=result.status.value if result else MeetingStatus.AFHOLDT.value,
            )
            yield Select(
                [(label, r.value) for r, label in visits_mod.CANCEL_REASON_LABELS.items()],
                prompt="Årsag (når virksomheden aflyste)",
                id="vr-reason",
                value=(
                    result.company_cancel_reason.value
                    if result and result.company_cancel_reason
                    else Select.NULL
                ),
            )
            yield Label("Aftaler (antal pladser virksomheden ønsker besat):")
            with Grid():
                for category in AgreementCategory:
                    yield Label(category.label)
                    count = agreements.get(category, 0)
                    yield Input(
                        value=str(count) if count else "",
                        placeholder="0",
                        type="integer",
                        id=f"vr-{category.value}",
                    )
            yield Input(
                value=(result.note or "") if result else "",
                placeholder="Note om besøget",
                id="vr-note",
            )
            yield Static("", id="vr-error")
            with Horizontal():
                yield Button("Gem", id="vr-save", variant="primary")
                yield Button("Fortryd", id="vr-cancel")

    def _value(self) -> VisitResultInput:
        status_value = self.query_one("#vr-status", Select).value
        if status_value is Select.NULL:
            raise ValueError("Vælg en mødestatus.")
        status = MeetingStatus(str(status_value))
        reason_value = self.query_one("#vr-reason", Select).value
        reason = (
            CompanyCancelReason(str(reason_value))
            if reason_value is not Select.NULL and status == MeetingStatus.AFLYST_AF_VIRKSOMHEDEN
            else None
        )
        agreements: dict[AgreementCategory, int] = {}
        for category in AgreementCategory:
            text = self.query_one(f"#vr-{category.value}", Input).value.strip()
            if not text:
                continue
            if not (text.isascii() and text.isdigit()) or len(text) > 4:
                raise ValueError(f"{category.label}: skriv et antal (et helt tal fra 0 til 9999).")
            if int(text):
                agreements[category] = int(text)
        note = self.query_one("#vr-note", Input).value.strip() or None
        return VisitResultInput(status=status, reason=reason, agreements=agreements, note=note)

    @on(Button.Pressed, "#vr-save")
    def save(self) -> None:
        try:
            value = self._value()
        except ValueError as exc:
            self.query_one("#vr-error", Static).update(str(exc))
            return
        self.dismiss(value)

    @on(Button.Pressed, "#vr-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class VisitsScreen(Screen[None]):
    """Booked visits of a campaign (optionally one consultant's) with their results."""

    DEFAULT_CSS = """
    VisitsScreen #visits-title { height: 1; padding: 0 1; text-style: bold; }
    VisitsScreen #visits-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "record", "Registrér resultat", show=True),
        Binding("e", "record", "Registrér resultat", show=False),
        Binding("m", "toggle_missing", "Kun uden resultat"),
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
    ) -> None:
        super().__init__()
        self.db = db
        self.campaign_id = campaign_id
        self.consultant_id = consultant_id
        self.actor = actor
        self.missing_only = False
        self.rows: list[visits_mod.VisitRow] = []

    def compose(self) -> ComposeResult:
        yield Static("Besøg", id="visits-title")
        yield DataTable(id="visits-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#visits-table", DataTable).add_columns(
            "Tidspunkt", "Virksomhed", "Konsulent", "Resultat", "Aftaler"
        )
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    def action_toggle_missing(self) -> None:
        self.missing_only = not self.missing_only
        self.load()

    @work(thread=True, exclusive=True, group="visits")
    def load(self) -> list[visits_mod.VisitRow]:
        with self.db.session() as session:
            return visits_mod.list_visits(
                session=session,
                campaign_id=self.campaign_id,
                consultant_id=self.consultant_id,
                missing_result=self.missing_only,
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "visits":
            return
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, list):
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            message = error.message if isinstance(error, PhonerError) else str(error)
            self.notify(message, severity="error")

    def show(self, rows: list[visits_mod.VisitRow]) -> None:
        self.rows = rows
        now = utcnow()
        table = self.query_one("#visits-table", DataTable)
        table.clear()
        missing = 0
        for r in rows:
            if r.result is not None:
                result = visits_mod.MEETING_STATUS_LABELS[r.result.status]
            elif r.booking.start <= now:
                result = "[b red]Mangler resultat[/]"
                missing += 1
            else:
                result = "Kommende"
            agreed = ", ".join(f"{c.label} {n}" for c, n in r.agreements.items())
            table.add_row(
                format_local(r.booking.start),
                r.company.name,
                r.consultant_name,
                result,
                agreed or "–",
                key=str(r.booking.id),
            )
        self.query_one("#visits-title", Static).update(
            f"Besøg: {len(rows)}, heraf {missing} afholdte tidspunkter uden resultat"
        )

    def selected(self) -> visits_mod.VisitRow | None:
        table = self.query_one("#visits-table", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_record()

    def action_record(self) -> None:
        row = self.selected()
        if row is None:
            return
        booking_id = row.booking.id
        assert booking_id is not None

        def after(value: VisitResultInput | None) -> None:
            if value is None:
                return
            try:
                with self.db.session(write=True) as session:
                    visits_mod.record_visit_result(
                        session=session,
                        booking_id=booking_id,
                        status=value.status,
                        actor=self.actor,
                        company_cancel_reason=value.reason,
                        agreements=value.agreements,
                        note=value.note,
                    )
            except PhonerError as exc:
                self.notify(exc.message, severity="error", timeout=8)
                return
            self.notify(f"Resultatet er gemt: {row.company.name}")
            self.load()

        title = f"{row.company.name} – {format_local(row.booking.start)} ({row.consultant_name})"
        self.app.push_screen(VisitResultModal(title, row), after)

"""A consultant's visits, and the form to record what happened and what was agreed.

``VisitsScreen(campaign_id=..., consultant_id=None)`` lists the booked visits (visits in
the past without a result are marked). Enter (or ``e``) opens :class:`VisitResultModal`:
meeting status, the company's reason when it cancelled, the number of places agreed per
category, and a note. Saving records the result in a worker (audited; a held visit
enters the contact history).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from phoner.core.display import format_local
from phoner.core.models import AgreementCategory, CompanyCancelReason, MeetingStatus
from phoner.tui import usecases
from phoner.tui.i18n import t
from phoner.tui.screens.base import Cell, Listing, PhonerModal, TableScreen
from phoner.tui.usecases import VisitResultInput


class VisitResultModal(PhonerModal[VisitResultInput | None]):
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
    BINDINGS = [Binding("escape", "cancel", "dialog.cancel")]

    def __init__(self, title: str, current: usecases.VisitRow | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.current = current

    def compose(self) -> ComposeResult:
        result = self.current.result if self.current else None
        agreements = self.current.agreements if self.current else {}
        with VerticalScroll():
            yield Label(self.title_text)
            yield Select(
                [(label, s.value) for s, label in usecases.MEETING_STATUS_LABELS.items()],
                prompt=t("vr.status"),
                id="vr-status",
                value=result.status.value if result else MeetingStatus.AFHOLDT.value,
            )
            yield Select(
                [(label, r.value) for r, label in usecases.CANCEL_REASON_LABELS.items()],
                prompt=t("vr.reason"),
                id="vr-reason",
                value=(
                    result.company_cancel_reason.value
                    if result and result.company_cancel_reason
                    else Select.NULL
                ),
            )
            yield Label(t("vr.agreements"))
            with Grid():
                for category in AgreementCategory:
                    yield Label(usecases.AGREEMENT_LABELS[category])
                    count = agreements.get(category, 0)
                    yield Input(
                        value=str(count) if count else "",
                        placeholder="0",
                        type="integer",
                        id=f"vr-{category.value}",
                    )
            yield Input(
                value=(result.note or "") if result else "",
                placeholder=t("vr.note"),
                id="vr-note",
            )
            yield Static("", id="vr-error")
            with Horizontal():
                yield Button(t("vr.save"), id="vr-save", variant="primary")
                yield Button(t("dialog.cancel"), id="vr-cancel")

    def _value(self) -> VisitResultInput:
        status_value = self.query_one("#vr-status", Select).value
        if status_value is Select.NULL:
            raise ValueError(t("vr.need_status"))
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
                raise ValueError(t("vr.bad_count", category=usecases.AGREEMENT_LABELS[category]))
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


class VisitsScreen(TableScreen[usecases.VisitRow]):
    """Booked visits of a campaign (optionally one consultant's) with their results."""

    DEFAULT_CSS = """
    VisitsScreen #visits-title { height: 1; padding: 0 1; text-style: bold; }
    VisitsScreen #visits-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "record", "visits.bind.record", show=True),
        Binding("e", "record", "visits.bind.record", show=False),
        Binding("m", "toggle_missing", "visits.bind.missing"),
        Binding("r", "reload", "bind.refresh"),
        Binding("escape", "app.pop_screen", "bind.back"),
    ]
    TITLE_ID = "visits-title"
    TABLE_ID = "visits-table"
    TITLE_KEY = "visits.title"
    COLUMNS = (
        "visits.col.when",
        "col.company",
        "col.consultant",
        "visits.col.result",
        "visits.col.agreed",
    )

    def __init__(self, *, campaign_id: int, consultant_id: int | None = None) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.consultant_id = consultant_id
        self.missing_only = False

    def action_toggle_missing(self) -> None:
        self.missing_only = not self.missing_only
        self.load()

    def fetch(self) -> Listing[usecases.VisitRow]:
        rows = usecases.visits(
            self.db,
            campaign_id=self.campaign_id,
            consultant_id=self.consultant_id,
            missing_only=self.missing_only,
        )
        now = self.host.now()
        missing = sum(1 for r in rows if r.result is None and r.start <= now)
        return Listing(rows, t("visits.title_full", count=len(rows), missing=missing))

    def empty_text(self) -> str:
        return t("visits.empty_missing" if self.missing_only else "visits.empty")

    def cells(self, row: usecases.VisitRow) -> Sequence[Cell]:
        if row.result is not None:
            result = usecases.MEETING_STATUS_LABELS[row.result.status]
        elif row.start <= self.host.now():
            result = f"[b red]{t('visits.missing')}[/]"
        else:
            result = t("visits.upcoming")
        agreed = ", ".join(f"{usecases.AGREEMENT_LABELS[c]} {n}" for c, n in row.agreements.items())
        return (
            format_local(row.start),
            row.company_name,
            row.consultant_name,
            result,
            agreed or "–",
        )

    def row_key(self, row: usecases.VisitRow) -> str | None:
        return str(row.booking_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_record()

    def action_record(self) -> None:
        row = self.selected()
        if row is None:
            return
        booking_id = row.booking_id

        def after(value: VisitResultInput | None) -> None:
            if value is None:
                return
            actor, now = self.host.actor, self.host.now()

            def change() -> str:
                usecases.record_visit_result(
                    self.db, booking_id=booking_id, value=value, actor=actor, now=now
                )
                return t("visits.saved", company=row.company_name)

            self.write(change)

        title = f"{row.company_name} – {format_local(row.start)} ({row.consultant_name})"
        self.app.push_screen(VisitResultModal(title, row), after)

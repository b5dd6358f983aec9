"""Clearing a jobcenter's part of the list in the terminal (the same review as the sheet).

``ClearingScreen(db=..., campaign_id=..., jobcenter_id=..., actor="Karen")`` lists the
jobcenter's companies with the proposed decision and its reason. ``b`` keeps the
selected company, ``f`` removes it (asking for the reason, prefilled with the proposal),
the filter narrows the list to one proposal reason, and ``g`` signs the list off (after a
confirmation; ``G`` forces it even with unreviewed proposals, which is audited). All
changes go through :mod:`phoner.core.lists`, so they are audited exactly like the
clearing sheet's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from phoner.core.db import Database
from phoner.core.errors import PhonerError
from phoner.core.lists import clearing, records, signoff
from phoner.core.models import Campaign, ClearingReason, ClearingState, Company, Jobcenter
from phoner.core.phones import format_phone

ALL = "alle"
NONE = "ingen"
FilterValue = ClearingReason | Literal["any"] | None


@dataclass(frozen=True)
class ClearingData:
    campaign: str
    jobcenter: str
    companies: list[Company]
    signed_off: str | None  # "dd.mm.yyyy hh:mm af NAVN" when signed off


class ReasonModal(ModalScreen[str | None]):
    """Ask why a company is removed (Escape cancels)."""

    DEFAULT_CSS = """
    ReasonModal { align: center middle; }
    ReasonModal > Vertical { width: 70; height: auto; border: thick $accent; padding: 1 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Fortryd")]

    def __init__(self, title: str, reason: str) -> None:
        super().__init__()
        self.title_text = title
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(
                value=self.reason,
                placeholder="Begrundelse, fx kendt virksomhed, lukket, forkert branche",
                id="reason",
            )
            yield Button("Fjern fra listen", id="ok", variant="error")

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted, "#reason")
    def ok(self) -> None:
        self.dismiss(self.query_one("#reason", Input).value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """Yes/no before signing off (Escape = no)."""

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical { width: 76; height: auto; border: thick $warning; padding: 1 2; }
    ConfirmModal Horizontal { height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "no", "Fortryd")]

    def __init__(self, text: str, yes: str) -> None:
        super().__init__()
        self.text = text
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.text)
            with Horizontal():
                yield Button(self.yes, id="yes", variant="warning")
                yield Button("Fortryd", id="no")

    @on(Button.Pressed, "#yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)


def _filter_options() -> list[tuple[str, str]]:
    options = [("Alle virksomheder", ALL), ("Uden forslag", NONE)]
    options += [(f"Forslag: {r.label.lower()}", r.value) for r in ClearingReason]
    return options


def _parse_filter(value: Any) -> FilterValue:
    if value in (ALL, Select.BLANK, None):
        return "any"
    if value == NONE:
        return None
    return ClearingReason(value)


class ClearingScreen(Screen[None]):
    """One jobcenter's companies in a campaign: review, keep/remove, sign off."""

    DEFAULT_CSS = """
    ClearingScreen #cl-title { height: 1; padding: 0 1; text-style: bold; }
    ClearingScreen #cl-bar { height: 3; padding: 0 1; }
    ClearingScreen #cl-filter { width: 44; }
    ClearingScreen #cl-status { padding: 1 1 0 2; }
    ClearingScreen #cl-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("b", "keep", "Behold"),
        Binding("f", "remove", "Fjern"),
        Binding("g", "sign_off", "Godkend liste"),
        Binding("G", "force_sign_off", "Godkend (tving)", show=False),
        Binding("r", "reload", "Opdatér"),
        Binding("escape", "app.pop_screen", "Tilbage"),
    ]

    def __init__(
        self, *, db: Database, campaign_id: int, jobcenter_id: int, actor: str = "tui"
    ) -> None:
        super().__init__()
        self.db = db
        self.campaign_id = campaign_id
        self.jobcenter_id = jobcenter_id
        self.actor = actor
        self.filter: FilterValue = "any"
        self.companies: list[Company] = []
        self.data: ClearingData | None = None

    def compose(self) -> ComposeResult:
        yield Static("Clearing", id="cl-title")
        with Horizontal(id="cl-bar"):
            yield Select(
                _filter_options(), value=ALL, allow_blank=False, id="cl-filter", prompt="Filter"
            )
            yield Static("", id="cl-status")
        yield DataTable(id="cl-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cl-table", DataTable).add_columns(
            "CVR",
            "Virksomhed",
            "Telefon",
            "Ansatte",
            "Forslag",
            "Beslutning",
            "Begrundelse",
            "Bemærkninger",
        )
        self.load()

    # ------------------------------------------------------------------ data

    def action_reload(self) -> None:
        self.load()

    @on(Select.Changed, "#cl-filter")
    def filter_changed(self, event: Select.Changed) -> None:
        self.filter = _parse_filter(event.value)
        self.load()

    @work(thread=True, exclusive=True, group="clearing")
    def load(self) -> ClearingData:
        with self.db.session() as session:
            campaign = session.get(Campaign, self.campaign_id)
            jobcenter = session.get(Jobcenter, self.jobcenter_id)
            if campaign is None or jobcenter is None:
                raise PhonerError("Kampagnen eller jobcentret findes ikke længere.")
            companies = clearing.clearing_companies(
                session=session,
                campaign_id=self.campaign_id,
                jobcenter_id=self.jobcenter_id,
                proposal=self.filter,
            )
            signed: str | None = None
            for st in signoff.jobcenter_status(session=session, campaign=campaign):
                if st.jobcenter == jobcenter.name and st.signed_off_at is not None:
                    signed = f"{clearing.local_stamp(st.signed_off_at)} af {st.signed_off_by}" + (
                        " (tvunget)" if st.forced else ""
                    )
            return ClearingData(campaign.name, jobcenter.name, list(companies), signed)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "clearing":
            return
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, ClearingData):
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            message = error.message if isinstance(error, PhonerError) else str(error)
            self.notify(message, severity="error")

    def show(self, data: ClearingData) -> None:
        self.data = data
        self.companies = data.companies
        table = self.query_one("#cl-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for c in data.companies:
            remarks = c.out_of_target or ", ".join(records.FLAG_LABELS.get(f, f) for f in c.flags)
            decision = clearing.DECISION_LABELS[c.clearing_state] or "–"
            if c.clearing_state == ClearingState.REMOVE:
                decision = f"[b red]{decision}[/]"
            elif c.clearing_state == ClearingState.KEEP:
                decision = f"[green]{decision}[/]"
            table.add_row(
                c.cvr or "–",
                c.name,
                ", ".join(format_phone(p) for p in c.phones),
                "–" if c.employees is None else str(c.employees),
                clearing.proposal_label(c) or "–",
                decision,
                c.clearing_note or "",
                remarks,
                key=str(c.id),
            )
        if data.companies:
            table.move_cursor(row=min(max(cursor, 0), len(data.companies) - 1))
        self.query_one("#cl-title", Static).update(
            f"Clearing: {data.jobcenter} · {data.campaign} · {len(data.companies)} virksomheder"
        )
        kept = sum(clearing.effective_keep(c) for c in data.companies)
        status = (
            f"Godkendt {data.signed_off}"
            if data.signed_off
            else f"Ikke godkendt · {kept} ringes op, {len(data.companies) - kept} fjernes"
        )
        self.query_one("#cl-status", Static).update(status)

    def selected(self) -> Company | None:
        table = self.query_one("#cl-table", DataTable)
        if not self.companies or not 0 <= table.cursor_row < len(self.companies):
            return None
        return self.companies[table.cursor_row]

    # ------------------------------------------------------------------ actions

    def _decide(self, company: Company, decision: ClearingState, reason: str | None) -> None:
        try:
            with self.db.session(write=True) as session:
                fresh = session.get(Company, company.id)
                if fresh is None:
                    raise PhonerError("Virksomheden findes ikke længere.")
                changed = clearing.set_decision(
                    session=session, company=fresh, decision=decision, by=self.actor, reason=reason
                )
        except PhonerError as exc:
            self.notify(exc.message, severity="error")
            return
        label = clearing.DECISION_LABELS[decision]
        self.notify(f"{company.name}: {label}" + ("" if changed else " (uændret)"))
        self.load()

    def action_keep(self) -> None:
        company = self.selected()
        if company is not None:
            self._decide(company, ClearingState.KEEP, None)

    def action_remove(self) -> None:
        company = self.selected()
        if company is None:
            return
        suggestion = company.clearing_note or (
            company.clearing_proposal.label if company.clearing_proposal else ""
        )

        def after(reason: str | None) -> None:
            if reason is not None:
                self._decide(company, ClearingState.REMOVE, reason or None)

        self.app.push_screen(ReasonModal(f"Fjern {company.name}?", suggestion), after)

    def _sign_off(self, force: bool) -> None:
        try:
            with self.db.session(write=True) as session:
                campaign = session.get(Campaign, self.campaign_id)
                jobcenter = session.get(Jobcenter, self.jobcenter_id)
                assert campaign is not None and jobcenter is not None
                result = signoff.sign_off(
                    session=session,
                    campaign=campaign,
                    jobcenter=jobcenter,
                    by=self.actor,
                    force=force,
                )
        except PhonerError as exc:
            self.notify(exc.message, severity="error", timeout=10)
            return
        text = (
            f"{result.jobcenter}s liste er godkendt (version {result.list_version}): "
            f"{result.kept} beholdes, {result.removed} fjernes."
        )
        if force:
            self.notify(text + " Godkendt med tvang; det er logget.", severity="warning")
        else:
            self.notify(text)
        self.load()

    def action_sign_off(self) -> None:
        self.app.push_screen(
            ConfirmModal(
                "Godkend listen? Den fryses, og virksomhederne kan derefter ringes op.",
                "Godkend",
            ),
            lambda yes: self._sign_off(False) if yes else None,
        )

    def action_force_sign_off(self) -> None:
        self.app.push_screen(
            ConfirmModal(
                "Godkend med TVANG? Forslag, der ikke er gennemgået, bliver til 'Fjern', "
                "og det logges, at listen er godkendt uden fuld gennemgang.",
                "Godkend med tvang",
            ),
            lambda yes: self._sign_off(True) if yes else None,
        )

"""Clearing a jobcenter's part of the list in the terminal (the same review as the sheet).

``ClearingScreen(campaign_id=..., jobcenter_id=...)`` lists the jobcenter's companies
with the proposed decision and its reason. ``b`` keeps the selected company, ``f``
removes it (asking for the reason, prefilled with the proposal), the filter narrows the
list to one proposal reason, and ``g`` signs the list off (after a confirmation; ``G``
forces it even with unreviewed proposals, which is audited). All changes run in workers
through core's clearing services, so they are audited exactly like the clearing sheet's.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Select, Static

from phoner.core.errors import UnreviewedProposals
from phoner.core.models import ClearingReason, ClearingState
from phoner.core.phones import format_phone
from phoner.tui import usecases
from phoner.tui.i18n import t
from phoner.tui.screens.base import Cell, Listing, TableScreen
from phoner.tui.screens.dialogs import ConfirmDialog, TextDialog

ALL = "alle"
NONE = "ingen"


def _filter_options() -> list[tuple[str, str]]:
    options = [(t("cl.filter.all"), ALL), (t("cl.filter.none"), NONE)]
    labels = usecases.CLEARING_REASON_LABELS
    options += [(t("cl.filter.reason", reason=labels[r].lower()), r.value) for r in ClearingReason]
    return options


def _parse_filter(value: object) -> usecases.ClearingFilter:
    if value in (ALL, Select.BLANK, None):
        return "any"
    if value == NONE:
        return None
    return ClearingReason(str(value))


class ClearingScreen(TableScreen[usecases.ClearingRow]):
    """One jobcenter's companies in a campaign: review, keep/remove, sign off."""

    DEFAULT_CSS = """
    ClearingScreen #cl-title { height: 1; padding: 0 1; text-style: bold; }
    ClearingScreen #cl-bar { height: 3; padding: 0 1; }
    ClearingScreen #cl-filter { width: 44; }
    ClearingScreen #cl-status { padding: 1 1 0 2; }
    ClearingScreen #cl-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("b", "keep", "cl.bind.keep"),
        Binding("f", "remove", "cl.bind.remove"),
        Binding("g", "sign_off", "cl.bind.sign_off"),
        Binding("G", "force_sign_off", "cl.bind.force", show=False),
        Binding("r", "reload", "bind.refresh"),
        Binding("escape", "app.pop_screen", "bind.back"),
    ]
    #: Unreviewed proposals are decided right here (b/f), or overridden with G.
    HINTS = {UnreviewedProposals: "cl.hint.unreviewed"}
    TITLE_ID = "cl-title"
    TABLE_ID = "cl-table"
    TITLE_KEY = "cl.title"
    COLUMNS = (
        "col.cvr",
        "col.company",
        "col.phone",
        "cl.col.employees",
        "cl.col.proposal",
        "cl.col.decision",
        "cl.col.reason",
        "cl.col.remarks",
    )

    def __init__(self, *, campaign_id: int, jobcenter_id: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.jobcenter_id = jobcenter_id
        self.filter: usecases.ClearingFilter = "any"

    def compose_top(self) -> ComposeResult:
        with Horizontal(id="cl-bar"):
            yield Select(
                _filter_options(),
                value=ALL,
                allow_blank=False,
                id="cl-filter",
                prompt=t("cl.filter"),
            )
            yield Static("", id="cl-status")

    @property
    def companies(self) -> list[usecases.ClearingRow]:
        return self.rows

    # ------------------------------------------------------------------ data

    @on(Select.Changed, "#cl-filter")
    def filter_changed(self, event: Select.Changed) -> None:
        self.filter = _parse_filter(event.value)
        self.load()

    def fetch(self) -> Listing[usecases.ClearingRow]:
        data = usecases.clearing(
            self.db,
            campaign_id=self.campaign_id,
            jobcenter_id=self.jobcenter_id,
            proposal=self.filter,
        )
        title = t(
            "cl.title_full",
            jobcenter=data.jobcenter,
            campaign=data.campaign,
            count=len(data.companies),
        )
        kept = sum(c.keep for c in data.companies)
        # counted for themselves, as `phoner list status` and the sign-off count them
        blocked = sum(c.list_state == "spaerret" for c in data.companies)
        out_of_target = sum(c.list_state == "uden_for_maalgruppe" for c in data.companies)
        if data.signed_off_at is not None:
            status = t(
                "cl.signed" + (".forced" if data.forced else ""),
                when=usecases.local_text(data.signed_off_at),
                who=data.signed_off_by or "",
            )
        else:
            status = t(
                "cl.unsigned",
                kept=kept,
                removed=len(data.companies) - kept - blocked - out_of_target,
            )
            if out_of_target:
                status += t("cl.unsigned.out_of_target", n=out_of_target)
            if blocked:
                status += t("cl.unsigned.blocked", n=blocked)
        return Listing(
            data.companies,
            title,
            {"status": status},
        )

    def cells(self, c: usecases.ClearingRow) -> Sequence[Cell]:
        remarks = c.out_of_target or ", ".join(usecases.FLAG_LABELS.get(f, f) for f in c.flags)
        decision = usecases.DECISION_LABELS[c.state] or "–"
        if c.state == ClearingState.REMOVE:
            decision = f"[b red]{decision}[/]"
        elif c.state == ClearingState.KEEP:
            decision = f"[green]{decision}[/]"
        return (
            c.cvr or "–",
            c.name,
            ", ".join(format_phone(p) for p in c.phones),
            "–" if c.employees is None else str(c.employees),
            c.proposal_label or "–",
            decision,
            c.note or "",
            remarks,
        )

    def row_key(self, row: usecases.ClearingRow) -> str | None:
        return str(row.id)

    def shown(self, data: Listing[usecases.ClearingRow]) -> None:
        self.query_one("#cl-status", Static).update(str(data.extra.get("status", "")))

    # ------------------------------------------------------------------ actions

    def _decide(
        self, company: usecases.ClearingRow, decision: ClearingState, reason: str | None
    ) -> None:
        company_id, name, actor = company.id, company.name, self.host.actor

        def change() -> str:
            changed = usecases.set_clearing_decision(
                self.db, company_id=company_id, decision=decision, actor=actor, reason=reason
            )
            label = usecases.DECISION_LABELS[decision]
            return t("cl.decided" if changed else "cl.unchanged", company=name, decision=label)

        self.write(change)

    def action_keep(self) -> None:
        company = self.selected()
        if company is not None:
            self._decide(company, ClearingState.KEEP, None)

    def action_remove(self) -> None:
        company = self.selected()
        if company is None:
            return
        proposal = company.proposal
        suggestion = company.note or (usecases.CLEARING_REASON_LABELS[proposal] if proposal else "")

        def after(reason: str | None) -> None:
            if reason is not None:
                self._decide(company, ClearingState.REMOVE, reason or None)

        dialog = TextDialog(
            t("cl.remove_title", company=company.name),
            ok=t("cl.remove_ok"),
            value=suggestion,
            placeholder=t("cl.reason_placeholder"),
            variant="error",
        )
        self.app.push_screen(dialog, after)

    def _sign_off(self, force: bool) -> None:
        actor = self.host.actor

        def change() -> str:
            result = usecases.sign_off(
                self.db,
                campaign_id=self.campaign_id,
                jobcenter_id=self.jobcenter_id,
                actor=actor,
                force=force,
            )
            text = t(
                "cl.signed_off",
                jobcenter=result.jobcenter,
                version=result.list_version,
                kept=result.kept,
                removed=result.removed,
                blocked=result.blocked,
            )
            return f"{text} {t('cl.forced_logged')}" if force else text

        self.write(change, severity="warning" if force else "information")

    def action_sign_off(self) -> None:
        self.app.push_screen(
            ConfirmDialog(t("cl.confirm"), yes=t("cl.confirm_yes")),
            lambda yes: self._sign_off(False) if yes else None,
        )

    def action_force_sign_off(self) -> None:
        self.app.push_screen(
            ConfirmDialog(t("cl.confirm_force"), yes=t("cl.confirm_force_yes")),
            lambda yes: self._sign_off(True) if yes else None,
        )

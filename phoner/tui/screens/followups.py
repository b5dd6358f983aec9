"""A consultant's follow-ups: what was promised to whom, by when; mark them done.

``FollowUpsScreen(campaign_id=..., consultant_id=None)`` lists the open follow-ups
(overdue first, in red), of one consultant or of everybody. ``d`` marks the selected one
done (with an optional note, audited under the host's actor), ``a`` toggles showing the
done ones too.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.binding import Binding

from phoner.core.display import format_date
from phoner.core.models import FollowUpKind
from phoner.core.phones import format_phone
from phoner.tui import usecases
from phoner.tui.i18n import t
from phoner.tui.screens.base import Cell, Listing, TableScreen
from phoner.tui.screens.dialogs import TextDialog

KIND_KEYS = {
    FollowUpKind.CALL_COMPANY: "fu.kind.call",
    FollowUpKind.AGREEMENT: "fu.kind.agreement",
    FollowUpKind.OTHER: "fu.kind.other",
}


class FollowUpsScreen(TableScreen[usecases.FollowUpRow]):
    """Follow-ups of a campaign (optionally one consultant's), overdue first."""

    DEFAULT_CSS = """
    FollowUpsScreen #fu-title { height: 1; padding: 0 1; text-style: bold; }
    FollowUpsScreen #fu-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("d", "done", "fu.bind.done"),
        Binding("a", "toggle_all", "fu.bind.all"),
        Binding("r", "reload", "bind.refresh"),
        Binding("escape", "app.pop_screen", "bind.back"),
    ]
    TITLE_ID = "fu-title"
    TABLE_ID = "fu-table"
    TITLE_KEY = "fu.title"
    COLUMNS = (
        "fu.col.due",
        "col.status",
        "fu.col.kind",
        "col.company",
        "col.phone",
        "fu.col.owner",
        "fu.col.what",
    )

    def __init__(self, *, campaign_id: int, consultant_id: int | None = None) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.consultant_id = consultant_id
        self.include_done = False

    def action_toggle_all(self) -> None:
        self.include_done = not self.include_done
        self.load()

    def fetch(self) -> Listing[usecases.FollowUpRow]:
        rows = usecases.followups(
            self.db,
            campaign_id=self.campaign_id,
            consultant_id=self.consultant_id,
            include_done=self.include_done,
            today=self.host.today(),
        )
        overdue = sum(1 for r in rows if r.overdue)
        scope = t("fu.scope.all" if self.include_done else "fu.scope.open")
        return Listing(rows, t("fu.title_full", scope=scope, count=len(rows), overdue=overdue))

    def empty_text(self) -> str:
        return t("fu.empty_all" if self.include_done else "fu.empty_open")

    def cells(self, row: usecases.FollowUpRow) -> Sequence[Cell]:
        status = t("fu.overdue") if row.overdue else t("fu.done" if row.done else "fu.open")
        return (
            format_date(row.due_date),
            f"[b red]{status}[/]" if row.overdue else status,
            t(KIND_KEYS[row.kind]),
            row.company_name,
            format_phone(row.company_phone) if row.company_phone else "–",
            row.consultant_name or t("fu.nobody"),
            row.description,
        )

    def row_key(self, row: usecases.FollowUpRow) -> str | None:
        return str(row.id)

    def action_done(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.done:
            self.notify(t("fu.already_done"))
            return
        followup_id = row.id

        def after(note: str | None) -> None:
            if note is None:
                return
            actor, now = self.host.actor, self.host.now()

            def change() -> str:
                usecases.mark_followup_done(
                    self.db, followup_id=followup_id, actor=actor, note=note or None, now=now
                )
                return t("fu.marked_done", company=row.company_name)

            self.write(change)

        dialog = TextDialog(
            t("fu.done_title", company=row.company_name),
            ok=t("fu.done_ok"),
            placeholder=t("fu.note_placeholder"),
        )
        self.app.push_screen(dialog, after)

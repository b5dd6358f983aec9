"""A call-list table: name, CVR, phone (Danish national format), municipality, round, state."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from phoner.core.models import CallState
from phoner.tui.data import CompanyRow
from phoner.tui.i18n import outcome_label, state_label, t


def state_text(row: CompanyRow) -> str:
    if row.lease_holder:
        return t("state.leased", who=row.lease_holder)
    if row.state in (CallState.DONE, CallState.RETRY) and row.last_outcome:
        return outcome_label(row.last_outcome)
    return state_label(row.state)


FULL = ("name", "cvr", "phone", "municipality", "round", "state")
COMPACT = ("name", "cvr", "phone", "state")


class CompanyTable(DataTable[str | Text]):
    """The companies of a campaign, one row each (keyed by company id)."""

    def __init__(self, *, columns: tuple[str, ...] = FULL, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.columns_shown = columns

    class Chosen(Message):
        """The user pressed Enter on a company."""

        def __init__(self, company_id: int) -> None:
            self.company_id = company_id
            super().__init__()

    def on_mount(self) -> None:
        widths = {"name": 32, "cvr": 8, "phone": 11, "municipality": 10, "round": 5, "state": 14}
        for key in self.columns_shown:
            self.add_column(t(f"list.col.{key}"), key=key, width=widths[key])

    def show(self, rows: list[CompanyRow]) -> None:
        self.clear()
        self.add_rows_keyed(rows)

    def add_rows_keyed(self, rows: list[CompanyRow]) -> None:
        for r in rows:
            cells: dict[str, str | Text] = {
                "name": Text(r.name, overflow="ellipsis", no_wrap=True),
                "cvr": r.cvr,
                "phone": r.phone,
                "municipality": Text(r.municipality),
                "round": r.round,
                "state": Text(state_text(r)),
            }
            self.add_row(*[cells[k] for k in self.columns_shown], key=str(r.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Chosen(int(event.row_key.value)))

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

#: Column widths in cells; the name takes what is left (at least MIN_NAME).
WIDTHS = {"cvr": 8, "phone": 11, "municipality": 12, "round": 5, "state": 16}
MIN_NAME, MAX_NAME = 22, 48
#: Dropped first when the terminal is narrow (the state is never dropped).
OPTIONAL = ("municipality", "round")


def fit_columns(wanted: tuple[str, ...], width: int) -> tuple[tuple[str, int], ...]:
    """The columns (key, width) that fit ``width`` cells: optional ones give way first,
    the name takes the rest. Every cell has one cell of padding each side, and the
    vertical scrollbar takes two."""
    shown = list(wanted)
    room = width - 2

    def name_width() -> int:
        return room - sum(WIDTHS[k] for k in shown if k != "name") - 2 * len(shown)

    for key in OPTIONAL:
        if name_width() >= MIN_NAME:
            break
        if key in shown:
            shown.remove(key)
    name = max(MIN_NAME, min(MAX_NAME, name_width()))
    return tuple((k, name if k == "name" else WIDTHS[k]) for k in shown)


class CompanyTable(DataTable[str | Text]):
    """The companies of a campaign, one row each (keyed by company id).

    Designed for 80 columns first: the name column shrinks and the municipality and round
    give way before the state would be pushed off the screen.
    """

    def __init__(self, *, columns: tuple[str, ...] = FULL, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.columns_shown = columns
        self.layout_shown: tuple[tuple[str, int], ...] = ()
        self.rows_shown: list[CompanyRow] = []

    class Chosen(Message):
        """The user pressed Enter on a company."""

        def __init__(self, company_id: int) -> None:
            self.company_id = company_id
            super().__init__()

    def on_mount(self) -> None:
        self._fit(self.size.width or 80)

    def on_resize(self) -> None:
        self._fit(self.size.width)

    def _fit(self, width: int) -> None:
        layout = fit_columns(self.columns_shown, width)
        if layout == self.layout_shown:
            return
        self.layout_shown = layout
        cursor = self.cursor_row
        self.clear(columns=True)
        for key, w in layout:
            self.add_column(t(f"list.col.{key}"), key=key, width=w)
        self.add_rows_keyed(self.rows_shown)
        if self.rows_shown:
            self.move_cursor(row=min(max(cursor, 0), len(self.rows_shown) - 1))

    def show(self, rows: list[CompanyRow]) -> None:
        self.rows_shown = list(rows)
        self.clear()
        self.add_rows_keyed(rows)

    def add_rows_keyed(self, rows: list[CompanyRow]) -> None:
        keys = [k for k, _ in self.layout_shown]
        for r in rows:
            cells: dict[str, str | Text] = {
                "name": Text(r.name, overflow="ellipsis", no_wrap=True),
                "cvr": r.cvr,
                "phone": r.phone,
                "municipality": Text(r.municipality, overflow="ellipsis", no_wrap=True),
                "round": r.round,
                "state": Text(state_text(r), overflow="ellipsis", no_wrap=True),
            }
            self.add_row(*[cells[k] for k in keys], key=str(r.id))

    def selected_id(self) -> int | None:
        """The company under the cursor."""
        if not self.rows_shown or not 0 <= self.cursor_row < len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row].id

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Chosen(int(event.row_key.value)))

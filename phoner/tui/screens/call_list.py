"""The call list: every company of the campaign with name, CVR, phone and state.

Typing searches (name, CVR, phone, municipality): the first letter or digit typed on the
list goes to the search field. The search runs in the database so a list of 100,000
companies stays responsive. ``Enter`` on a company opens it on the call screen (a company
that calls back, an inbound call): it is claimed like the queue does, and refused
politely while another phoner holds it.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Input, Static

from phoner.tui import data
from phoner.tui.data import CompanyRow
from phoner.tui.i18n import t
from phoner.tui.screens.base import PhonerScreen
from phoner.tui.widgets.company_table import CompanyTable
from phoner.tui.workers import db_worker


class CallListScreen(PhonerScreen):
    """An overview of the campaign's companies."""

    BINDINGS = [
        Binding("escape", "back", "bind.back"),
        Binding("ctrl+f", "search", "list.filter"),
    ]

    class Loaded(Message):
        def __init__(self, title: str, rows: list[CompanyRow], total: int, query: str) -> None:
            self.title = title
            self.rows = rows
            self.total = total
            self.query = query
            super().__init__()

    def __init__(self, *, campaign_id: int, round_id: int | None = None) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.round_id = round_id

    def compose(self) -> ComposeResult:
        yield Static("", id="list-title")
        # typing on the list lands here: keep what was typed (no select-all on focus)
        yield Input(
            placeholder=t("list.filter_placeholder"), id="list-search", select_on_focus=False
        )
        yield CompanyTable(id="call-list")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CompanyTable).focus()
        self._load("")

    @db_worker("call-list")
    def _load(self, query: str) -> None:
        db = self.phoner_app.db
        name = data.campaign_name(db, self.campaign_id) or "?"
        rows, total = data.company_rows(
            db, campaign_id=self.campaign_id, round_id=self.round_id, query=query
        )
        self.post_message(self.Loaded(name, rows, total, query))

    def on_call_list_screen_loaded(self, message: Loaded) -> None:
        title = (
            f"{t('list.title', campaign=message.title)} · {t('list.count', count=message.total)}"
        )
        self.query_one("#list-title", Static).update(Text(title))
        self.query_one(CompanyTable).show(message.rows)

    @on(Input.Changed, "#list-search")
    def _search(self, event: Input.Changed) -> None:
        self._load(event.value)

    @on(Input.Submitted, "#list-search")
    def _search_done(self) -> None:
        self.query_one(CompanyTable).focus()

    def on_key(self, event: events.Key) -> None:
        """Typing on the list searches: the key goes to the search field."""
        table = self.query_one(CompanyTable)
        if not table.has_focus or not event.is_printable or event.character is None:
            return
        if not event.character.strip():
            return  # space, tab: the table's own
        event.stop()
        event.prevent_default()
        search = self.query_one("#list-search", Input)
        search.focus()
        search.insert_text_at_cursor(event.character)

    @on(CompanyTable.Chosen)
    def _chosen(self, event: CompanyTable.Chosen) -> None:
        event.stop()
        self.phoner_app.call_company(event.company_id)

    def action_search(self) -> None:
        self.query_one("#list-search", Input).focus()

    def action_back(self) -> None:
        if self.query_one("#list-search", Input).has_focus:
            self.query_one(CompanyTable).focus()
            return
        self.dismiss()

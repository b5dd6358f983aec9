"""The FAQ and objection panel: opens with one key, filters as the phoner types."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from phoner.core.call_scripts import CallScript, FaqEntry
from phoner.tui.i18n import t
from phoner.tui.screens.base import PhonerModal


class FaqScreen(PhonerModal[None]):
    """Search box, matching questions, and the selected answer."""

    BINDINGS = [
        Binding("escape", "close", "bind.close"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, script: CallScript, *, query: str = "") -> None:
        super().__init__()
        self.script = script
        self.initial_query = query
        self.matches: list[FaqEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="faq-dialog"):
            yield Static(t("faq.title"), id="faq-title")
            yield Input(placeholder=t("faq.search"), id="faq-search", value=self.initial_query)
            yield OptionList(id="faq-list")
            with VerticalScroll(id="faq-answer-box"):
                yield Static("", id="faq-answer")
            yield Static(t("faq.hint"), id="faq-hint")

    def on_mount(self) -> None:
        self.query_one("#faq-search", Input).focus()
        self._filter(self.initial_query)

    def _filter(self, query: str) -> None:
        self.matches = self.script.search_faq(query)
        options = self.query_one("#faq-list", OptionList)
        options.clear_options()
        options.add_options([Option(Text(e.title), id=e.id) for e in self.matches])
        if self.matches:
            options.highlighted = 0
            self._show(self.matches[0])
        else:
            empty = t("faq.none", query=query) if self.script.faq else t("faq.empty")
            self.query_one("#faq-answer", Static).update(Text(empty))

    def _show(self, entry: FaqEntry) -> None:
        self.query_one("#faq-answer", Static).update(
            Text.assemble((entry.title, "bold"), "\n\n", entry.answer)
        )

    @on(Input.Changed, "#faq-search")
    def _changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    @on(OptionList.OptionHighlighted, "#faq-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = next((e for e in self.matches if e.id == event.option.id), None)
        if entry is not None:
            self._show(entry)

    def action_move(self, step: int) -> None:
        options = self.query_one("#faq-list", OptionList)
        if not self.matches:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self.matches) - 1, current + step))

    def action_close(self) -> None:
        self.dismiss(None)

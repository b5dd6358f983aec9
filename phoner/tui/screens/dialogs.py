"""The TUI's shared dialogs: one confirm dialog, one text-input dialog.

Both are :class:`~phoner.tui.screens.base.PhonerModal` with a typed result
(``dismiss``): the confirm dialog returns True/False (Escape is False), the text dialog
the text typed (stripped), or None when cancelled (Escape).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from phoner.tui.i18n import t
from phoner.tui.screens.base import PhonerModal

Variant = Literal["default", "primary", "success", "warning", "error"]
CSS = Path(__file__).with_name("dialogs.tcss")


class ConfirmDialog(PhonerModal[bool]):
    """Yes or no (Escape = no). With ``safe_default`` the "no" button has the focus, so
    Enter also means no (for questions where yes throws work away)."""

    CSS_PATH = CSS
    BINDINGS = [Binding("escape", "no", "dialog.cancel")]

    def __init__(
        self,
        text: str,
        *,
        yes: str,
        no: str | None = None,
        variant: Variant = "warning",
        safe_default: bool = False,
    ) -> None:
        super().__init__()
        self.text = text
        self.yes = yes
        self.no = no or t("dialog.cancel")
        self.variant: Variant = variant
        self.safe_default = safe_default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Label(self.text, id="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="yes", variant=self.variant)
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        if self.safe_default:
            self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)


class TextDialog(PhonerModal[str | None]):
    """One line of text: Enter or the button accepts, Escape cancels (None)."""

    CSS_PATH = CSS
    BINDINGS = [Binding("escape", "cancel", "dialog.cancel")]

    def __init__(
        self,
        title: str,
        *,
        ok: str,
        value: str = "",
        placeholder: str = "",
        variant: Variant = "primary",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.ok_label = ok
        self.value = value
        self.placeholder = placeholder
        self.variant: Variant = variant

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="text-dialog"):
            yield Label(self.title_text, id="dialog-text")
            yield Input(value=self.value, placeholder=self.placeholder, id="dialog-input")
            yield Button(self.ok_label, id="ok", variant=self.variant)

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted, "#dialog-input")
    def ok(self) -> None:
        self.dismiss(self.query_one("#dialog-input", Input).value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)

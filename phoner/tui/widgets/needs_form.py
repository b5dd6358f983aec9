"""The needs form: the script's structured needs fields plus a free note for the call."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from phoner.core.call_scripts import NeedsField
from phoner.tui.i18n import t

NOTE_ID = "needs-note"


def _field_id(key: str) -> str:
    return f"need-{key}"


class NeedsForm(VerticalScroll):
    """One compact row per field; :meth:`values` gives the needs dict for the attempt."""

    can_focus = False

    def __init__(self, fields: list[NeedsField], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields = fields

    def compose(self) -> ComposeResult:
        for f in self.fields:
            with Horizontal(classes="need-row"):
                yield Label(f.label, classes="need-label")
                if f.kind == "choice":
                    yield Select(
                        [(c, c) for c in f.choices],
                        prompt=t("needs.choose"),
                        id=_field_id(f.key),
                        compact=True,
                    )
                else:
                    yield Input(
                        id=_field_id(f.key),
                        type="integer" if f.kind == "int" else "text",
                        compact=True,
                    )
        with Horizontal(classes="need-row"):
            yield Label(t("needs.note"), classes="need-label")
            yield Input(id=NOTE_ID, placeholder=t("needs.note_placeholder"), compact=True)
        yield Static(t("needs.hint"), classes="hint")

    def values(self) -> dict[str, Any]:
        """Filled-in fields only (ints as int)."""
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#{_field_id(f.key)}")
            if isinstance(widget, Select):
                value = widget.value
                if isinstance(value, str):
                    out[f.key] = value
            elif isinstance(widget, Input):
                text = widget.value.strip()
                if not text:
                    continue
                if f.kind == "int":
                    try:
                        out[f.key] = int(text)
                    except ValueError:
                        out[f.key] = text
                else:
                    out[f.key] = text
        return out

    def note(self) -> str:
        return self.query_one(f"#{NOTE_ID}", Input).value.strip()

    def set_note(self, text: str) -> None:
        self.query_one(f"#{NOTE_ID}", Input).value = text

    def fill(self, values: dict[str, Any]) -> None:
        """Put saved values back (after an undo)."""
        for f in self.fields:
            if f.key not in values:
                continue
            widget = self.query_one(f"#{_field_id(f.key)}")
            if isinstance(widget, Select):
                if values[f.key] in f.choices:
                    widget.value = values[f.key]
            elif isinstance(widget, Input):
                widget.value = str(values[f.key])

    def clear(self) -> None:
        for f in self.fields:
            widget = self.query_one(f"#{_field_id(f.key)}")
            if isinstance(widget, Select):
                widget.clear()
            elif isinstance(widget, Input):
                widget.value = ""
        self.set_note("")

    def focus_note(self) -> None:
        self.query_one(f"#{NOTE_ID}", Input).focus()

    def focus_first(self) -> None:
        first = self.query("Input, Select").first()
        first.focus()

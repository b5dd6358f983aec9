"""The needs form: the script's structured needs fields plus a free note for the call.

Number fields take what is typed as typed (no silent filtering: "8-10" used to become
"810"); :meth:`NeedsForm.problem` names a field that does not hold a whole number, and
the call view refuses to save until it is put right. The note is several lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static, TextArea

from phoner.core.call_scripts import NeedsField
from phoner.tui.i18n import t

NOTE_ID = "needs-note"
ERROR_ID = "needs-error"


def _field_id(key: str) -> str:
    return f"need-{key}"


@dataclass(frozen=True)
class Problem:
    """A field whose text cannot be saved as it is, and what to tell the phoner."""

    field_id: str
    text: str


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
                        placeholder=t("needs.int_placeholder") if f.kind == "int" else "",
                        compact=True,
                        classes="need-int" if f.kind == "int" else "",
                    )
        yield Static("", id=ERROR_ID, markup=False)
        with Horizontal(classes="need-row need-note-row"):
            yield Label(t("needs.note"), classes="need-label")
            yield TextArea(
                id=NOTE_ID,
                placeholder=t("needs.note_placeholder"),
                compact=True,
                soft_wrap=True,
                tab_behavior="focus",
            )
        yield Static(t("needs.hint"), classes="hint")

    # ------------------------------------------------------------------ focus

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Mark the focused field's row (its label reversed: visible without colour)."""
        for row in self.query(".need-row"):
            row.set_class(event.widget in row.walk_children(), "-current")

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if self.app.focused is None or self.app.focused not in self.walk_children():
            for row in self.query(".need-row"):
                row.remove_class("-current")

    # ------------------------------------------------------------------ checking

    def _problem_of(self, f: NeedsField, text: str) -> Problem | None:
        if f.kind != "int" or not text or text.isdigit():
            return None
        return Problem(_field_id(f.key), t("needs.not_a_number", label=f.label, text=text))

    def problem(self) -> Problem | None:
        """The first field whose text is not what its kind needs (None: all fine)."""
        for f in self.fields:
            widget = self.query_one(f"#{_field_id(f.key)}")
            if isinstance(widget, Input):
                found = self._problem_of(f, widget.value.strip())
                if found is not None:
                    return found
        return None

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        """Say at once when a number field holds something else (never change it)."""
        key = (event.input.id or "").removeprefix("need-")
        spec = next((f for f in self.fields if f.key == key), None)
        if spec is None:
            return
        found = self._problem_of(spec, event.value.strip())
        event.input.set_class(found is not None, "-invalid")
        current = self.problem()
        self.query_one(f"#{ERROR_ID}", Static).update(current.text if current else "")

    # ------------------------------------------------------------------ values

    def values(self) -> dict[str, Any]:
        """Filled-in fields only (whole numbers as int; see :meth:`problem`)."""
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
                out[f.key] = int(text) if f.kind == "int" and text.isdigit() else text
        return out

    def note(self) -> str:
        return self.query_one(f"#{NOTE_ID}", TextArea).text.strip()

    def set_note(self, text: str) -> None:
        self.query_one(f"#{NOTE_ID}", TextArea).text = text

    def typed(self) -> bool:
        """Whether anything is filled in (the call view asks before throwing it away)."""
        return bool(self.values() or self.note())

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
        note = self.query_one(f"#{NOTE_ID}", TextArea)
        note.focus()
        note.move_cursor(note.document.end)

    def focus_first(self) -> None:
        first = self.query("Input, Select").first()
        first.focus()

    def focus_field(self, field_id: str) -> None:
        self.query_one(f"#{field_id}").focus()

"""The script panel: the current question with numbered answers, and the answers so far."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from phoner.core.call_scripts import ScriptWalk, fill_placeholders
from phoner.tui.i18n import outcome_label, t


def script_text(walk: ScriptWalk, values: Mapping[str, str | None] | None = None) -> Text:
    """What the phoner reads next, then what was answered so far.

    ``values`` fill the script's placeholders (``[dit navn]``, ``[jobcentrets navn]`` …).
    """
    out = Text()

    def fill(text: str) -> str:
        return fill_placeholders(text, values or {})

    question = walk.current
    trail = walk.trail
    if question is not None:
        if not trail and walk.script.opening:
            out.append(fill(_reflow(walk.script.opening)) + "\n\n", style="italic")
        n = len(trail) + 1
        out.append(f"{t('script.question', n=n)}\n", style="bold underline")
        out.append(fill(question.text) + "\n", style="bold")
        for a in question.answers:
            out.append(f" {a.key} ", style="reverse bold")
            out.append(f" {fill(a.text)}")
            if a.outcome is not None:
                out.append(f" → {outcome_label(a.outcome)}", style="dim")
            out.append("\n")
        if question.help:
            out.append("\n" + fill(question.help) + "\n", style="dim italic")
    else:
        outcome = walk.outcome
        label = outcome_label(outcome) if outcome is not None else "?"
        out.append(t("script.finished", outcome=label) + "\n", style="bold reverse")
        last = trail[-1][1] if trail else None
        if last is not None and last.note:
            out.append(fill(last.note) + "\n", style="italic")
        hint = t("script.visit_hint") if walk.wants_visit else t("script.finished_hint")
        out.append("\n" + hint + "\n", style="bold")
    if trail:
        out.append("\n" + t("script.answers_so_far") + "\n", style="bold underline")
        for q, a in trail:
            out.append(f"• {fill(q.text)}\n", style="dim")
            out.append(f"  {a.key}: {fill(a.text)}\n")
    out.rstrip()
    return out


def _reflow(text: str) -> str:
    """Join the TOML's hard-wrapped lines; keep blank-line paragraph breaks."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


class ScriptPanel(VerticalScroll):
    """Shows a :class:`ScriptWalk`; the call screen owns the walk and calls :meth:`show`."""

    can_focus = False
    #: placeholder values for the company on screen (set by the call view)
    values: Mapping[str, str | None] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="script-body")

    def show(self, walk: ScriptWalk | None, *, message: str = "") -> None:
        body = self.query_one("#script-body", Static)
        body.update(script_text(walk, self.values) if walk is not None else Text(message))
        if self.scroll_y:
            self.scroll_home(animate=False)

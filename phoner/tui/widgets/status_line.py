"""The status line: phoner, campaign, round, today's counts, and what the last call saved.

Two lines, designed for 80 columns first:

- line 1: ``Mette · Demo: Fleksjob efterår 2026 · Runde 1`` on the left, today's counts on
  the right (``I dag 3 opkald · 1 besvaret · 117 tilbage``);
- line 2: the last call (``✓ Besøg booket tor 03.12.2026 kl. 08.30–09.30 hos Anne Berg –
  Firma A/S``), which stays until the next outcome is saved.

When line 1 is too narrow, "… tilbage" moves to the right end of line 2, then the
campaign name gives way (it is on the start screen and the call list too).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from phoner.tui.i18n import t


@dataclass(frozen=True)
class Status:
    phoner: str
    campaign: str
    round: str
    calls: int = 0
    answered: int = 0
    left: int = 0


def _cut(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…" if width > 0 else ""


def status_lines(s: Status, last: str, width: int) -> tuple[str, str, str, str]:
    """(line 1 left, line 1 right, line 2 left, line 2 right) for ``width`` cells."""
    today = t("call.counts_today", calls=s.calls, answered=s.answered)
    left = t("call.counts_left", left=s.left)
    counts = f"{today} · {left}"
    who = t("call.status", phoner=s.phoner, campaign=s.campaign, round=s.round)
    if cell_len(who) + cell_len(counts) + 2 <= width:
        return who, counts, _cut(last, width), ""
    room = width - cell_len(today) - 2
    if cell_len(who) > room:  # the campaign name gives way first, then everything else
        fixed = cell_len(who) - cell_len(s.campaign)
        campaign = _cut(s.campaign, room - fixed) if room - fixed > 4 else ""
        who = _cut(t("call.status", phoner=s.phoner, campaign=campaign, round=s.round), room)
    return who, today, _cut(last, width - cell_len(left) - 2), left


class StatusLine(Static):
    """Two lines at the top of the call view (see the module docstring)."""

    DEFAULT_CSS = "StatusLine { height: 2; }"

    status: reactive[Status | None] = reactive(None)
    #: What the last call saved (the booked visit: day, date, time, consultant).
    last: reactive[str] = reactive("")

    def render(self) -> Text:
        s = self.status
        if s is None:
            return Text(self.last)
        width = self.content_size.width
        left1, right1, left2, right2 = status_lines(s, self.last, width)
        line = Text(left1)
        line.append(" " * max(2, width - cell_len(left1) - cell_len(right1)))
        line.append(right1, style="bold")
        line.append("\n")
        line.append(left2, style="italic")
        if right2:
            line.append(" " * max(2, width - cell_len(left2) - cell_len(right2)))
            line.append(right2, style="bold")
        return line

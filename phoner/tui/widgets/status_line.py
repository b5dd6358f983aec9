"""The status line: phoner, campaign, round, calls and answered today, companies left."""

from __future__ import annotations

from dataclasses import dataclass

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


class StatusLine(Static):
    """One line at the top of the call view; the campaign name gives way in narrow terminals."""

    status: reactive[Status | None] = reactive(None)

    def render(self) -> Text:
        s = self.status
        if s is None:
            return Text("")
        counts = t("call.counts", calls=s.calls, answered=s.answered, left=s.left)
        width = self.content_size.width
        who = t("call.status", phoner=s.phoner, campaign=s.campaign, round=s.round)
        if len(who) + len(counts) + 2 > width:
            # the campaign name gives way first, then everything else
            fixed = len(who) - len(s.campaign)
            room = width - len(counts) - 2 - fixed
            campaign = s.campaign[: max(0, room - 1)] + "…" if room > 4 else ""
            who = t("call.status", phoner=s.phoner, campaign=campaign, round=s.round)
            if len(who) + len(counts) + 2 > width:
                who = who[: max(0, width - len(counts) - 3)] + "…"
        line = Text(who)
        line.append(" " * max(2, self.content_size.width - len(who) - len(counts)))
        line.append(counts, style="bold")
        return line

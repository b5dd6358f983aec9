"""The call view's key hints: outcome keys on one line, everything else on the next."""

from __future__ import annotations

from textual.widgets import Static

from phoner.tui.i18n import t


class KeyBar(Static):
    """Two calm lines of key hints that fit in 80 columns."""

    def on_mount(self) -> None:
        self.update(f"{t('keys.outcomes')}\n{t('keys.other')}")

"""The coordinator's list of companies held by phoners, to give a stale one back.

Opened from the dashboard (``l``). A phoner's screen renews its lease every 15 seconds
(:data:`phoner.core.queue.claims.HEARTBEAT`); a company whose phoner has gone without a
word (a closed laptop, a crashed terminal) shows as stale and can be put back in the
queue with ``f`` after a confirmation, so it need not wait for the lease to run out.
The release is audited with the coordinator (the host's actor) as actor; one whose
phoner is still working is refused by the core.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from textual.binding import Binding

from phoner.tui import usecases
from phoner.tui.i18n import t
from phoner.tui.screens.base import Cell, Listing, TableScreen
from phoner.tui.screens.dialogs import ConfirmDialog


def _ago(moment: dt.datetime, now: dt.datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return t("held.seconds_ago", n=seconds)
    return t("held.minutes_ago", n=seconds // 60)


class HeldCompaniesScreen(TableScreen[usecases.HeldCompany]):
    """Who holds which company right now; ``f`` gives a stale one back to the queue."""

    DEFAULT_CSS = """
    HeldCompaniesScreen #held-title { height: auto; padding: 0 1; text-style: bold; }
    HeldCompaniesScreen #held-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("f", "release", "held.bind.release"),
        Binding("r", "reload", "bind.refresh"),
        Binding("escape", "app.pop_screen", "bind.back"),
    ]
    TITLE_ID = "held-title"
    TABLE_ID = "held-table"
    TITLE_KEY = "held.title"
    COLUMNS = (
        "col.company",
        "held.col.holder",
        "held.col.since",
        "held.col.heartbeat",
        "col.status",
    )

    def __init__(self, *, campaign_id: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.seen_at: dt.datetime | None = None

    def empty_text(self) -> str:
        return t("held.empty")

    def fetch(self) -> Listing[usecases.HeldCompany]:
        now = self.now()
        held = usecases.held_companies(self.db, campaign_id=self.campaign_id, now=now)
        stale = sum(h.stale for h in held)
        title = t("held.title_full", count=len(held), stale=stale)
        if stale:
            title += t("held.title_release")
        return Listing(held, title, {"now": now})

    def shown(self, data: Listing[usecases.HeldCompany]) -> None:
        self.seen_at = data.extra["now"]

    def cells(self, row: usecases.HeldCompany) -> Sequence[Cell]:
        now = self.seen_at or self.now()
        return (
            row.company,
            row.holder,
            usecases.local_text(row.since) if row.since else "–",
            _ago(row.last_heartbeat, now),
            t("held.stale" if row.stale else "held.active"),
        )

    def row_key(self, row: usecases.HeldCompany) -> str | None:
        return str(row.company_id)

    def action_release(self) -> None:
        held = self.selected()
        if held is None:
            self.notify(t("held.none_selected"), severity="warning")
            return
        if not held.stale:
            self.notify(
                t("held.still_working", holder=held.holder, company=held.company),
                severity="warning",
            )
            return

        def chosen(yes: bool | None) -> None:
            if not yes:
                return
            actor = self.host.actor

            def change() -> str:
                usecases.release_stale_lease(
                    self.db, held=held, coordinator=actor, now=self.host.now()
                )
                return t("held.released", company=held.company)

            self.write(change)

        question = t(
            "held.confirm",
            company=held.company,
            holder=held.holder,
            since=usecases.local_text(held.last_heartbeat),
        )
        self.app.push_screen(ConfirmDialog(question, yes=t("held.bind.release")), chosen)

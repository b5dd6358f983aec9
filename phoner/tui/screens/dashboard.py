"""The coordinator's dashboard: progress per round, outcomes, overdue follow-ups, feeds.

``DashboardScreen(db=..., campaign_id=...)`` shows, refreshed every 30 seconds (and on
``r``): each round's progress (called and answered of the round's companies), the
distribution of final outcomes as a bar chart, follow-ups past their due date per
consultant, and consultants who have not fetched their calendar feed (or have bookings
they have not seen). The figures come from :func:`phoner.core.reports.dashboard.dashboard`,
run in a worker thread so the screen never blocks. ``l`` lists the companies phoners
hold right now and gives a stale one back to the queue (:mod:`phoner.tui.screens.held`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState
from textual_plotext import PlotextPlot

from phoner.core.db import Database
from phoner.core.errors import NotFound, PhonerError
from phoner.core.models import Campaign, Outcome, RoundState
from phoner.core.reports.common import NO_ROUND_LABEL
from phoner.core.reports.dashboard import Dashboard, dashboard
from phoner.core.workdays import format_local
from phoner.formats.report_output import Pct

ROUND_STATE_LABELS = {
    RoundState.PLANNED: "Planlagt",
    RoundState.ACTIVE: "I gang",
    RoundState.CLOSED: "Afsluttet",
}
BAR_WIDTH = 20


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``█████░░░░░  50 %`` (whole percent; ``–`` for an empty round)."""
    if total <= 0:
        return "░" * width + "    –"
    filled = round(width * done / total)
    pct = Pct(done, total).whole
    return "█" * filled + "░" * (width - filled) + f" {pct:>3} %"


class DashboardScreen(Screen[None]):
    """The coordinator's live overview of one campaign."""

    DEFAULT_CSS = """
    DashboardScreen { layout: vertical; }
    DashboardScreen #dash-title { height: 1; padding: 0 1; text-style: bold; }
    DashboardScreen #dash-rounds { height: auto; max-height: 14; }
    DashboardScreen #dash-middle { height: 1fr; min-height: 12; }
    DashboardScreen #dash-outcomes { width: 2fr; }
    DashboardScreen #dash-followups-box { width: 1fr; }
    DashboardScreen .dash-heading { height: 1; padding: 0 1; text-style: bold; }
    DashboardScreen #dash-feeds { height: auto; max-height: 10; }
    """

    BINDINGS = [
        Binding("r", "refresh_data", "Opdatér"),
        Binding("l", "held_companies", "Reserverede"),
        Binding("escape", "app.pop_screen", "Tilbage"),
    ]

    REFRESH_SECONDS = 30.0

    def __init__(
        self,
        *,
        db: Database,
        campaign_id: int,
        today: Callable[[], dt.date] | None = None,
        actor: str = "tui",
    ) -> None:
        super().__init__()
        self.db = db
        self.campaign_id = campaign_id
        self._today = today
        self.actor = actor  # who releases a stale lease (audited)
        self.summary: Dashboard | None = None

    def compose(self) -> ComposeResult:
        yield Static("Overblik", id="dash-title")
        yield DataTable(id="dash-rounds", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="dash-middle"):
            yield PlotextPlot(id="dash-outcomes")
            with Vertical(id="dash-followups-box"):
                yield Static("Opfølgninger", id="dash-followups-summary", classes="dash-heading")
                yield DataTable(id="dash-overdue", cursor_type="row")
        yield Static("Kalenderfeeds, der ikke er hentet", classes="dash-heading")
        yield DataTable(id="dash-feeds", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#dash-rounds", DataTable).add_columns(
            "Omgang", "Status", "Virksomheder", "Ringet til", "Besvaret", "Fremdrift (ringet)"
        )
        self.query_one("#dash-overdue", DataTable).add_columns("Konsulent", "Overskredne")
        self.query_one("#dash-feeds", DataTable).add_columns(
            "Konsulent", "Jobcenter", "Sidst hentet", "Bookinger ikke set"
        )
        self.action_refresh_data()
        self.set_interval(self.REFRESH_SECONDS, self.action_refresh_data)

    def action_refresh_data(self) -> None:
        self.load()

    def action_held_companies(self) -> None:
        """Who holds which company; give a stale one back (issue 15: the lease)."""
        from phoner.tui.screens.held import HeldCompaniesScreen

        self.app.push_screen(
            HeldCompaniesScreen(db=self.db, campaign_id=self.campaign_id, actor=self.actor)
        )

    @work(thread=True, exclusive=True, group="dashboard")
    def load(self) -> Dashboard:
        today = self._today() if self._today else None
        with self.db.session() as session:
            campaign = session.get(Campaign, self.campaign_id)
            if campaign is None:
                raise NotFound(f"Kampagne nr. {self.campaign_id} findes ikke.")
            return dashboard(session=session, campaign=campaign, today=today)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "dashboard":
            return
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, Dashboard):
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            message = error.message if isinstance(error, PhonerError) else str(error)
            self.notify(f"Overblikket kunne ikke hentes: {message}", severity="error")

    # ----------------------------------------------------------------- rendering

    def show(self, summary: Dashboard) -> None:
        self.summary = summary
        total = sum(r.companies for r in summary.rounds)
        called = sum(r.called for r in summary.rounds)
        answered = sum(r.answered for r in summary.rounds)
        self.query_one("#dash-title", Static).update(
            f"Overblik: {summary.campaign}  ·  {total} virksomheder, {called} ringet til, "
            f"{answered} besvaret"
        )
        rounds = self.query_one("#dash-rounds", DataTable)
        rounds.clear()
        for r in summary.rounds:
            rounds.add_row(
                str(r.number) if r.number is not None else NO_ROUND_LABEL,
                ROUND_STATE_LABELS.get(r.state, "–") if r.state else "–",
                str(r.companies),
                str(r.called),
                str(r.answered),
                progress_bar(r.called, r.companies),
            )
        self._plot_outcomes(summary)
        self.query_one("#dash-followups-summary", Static).update(
            f"Opfølgninger: {summary.followups_open} åbne, "
            f"{summary.followups_overdue} med overskredet frist"
        )
        overdue = self.query_one("#dash-overdue", DataTable)
        overdue.clear()
        for name, n in summary.overdue_by_consultant:
            overdue.add_row(name, str(n))
        feeds = self.query_one("#dash-feeds", DataTable)
        feeds.clear()
        for f in summary.feed_lagging:
            feeds.add_row(
                f.consultant,
                f.jobcenter or "–",
                format_local(f.last_fetch) if f.last_fetch else "aldrig",
                str(f.unseen_bookings),
            )

    def _plot_outcomes(self, summary: Dashboard) -> None:
        plot = self.query_one("#dash-outcomes", PlotextPlot)
        labels = [o.label for o in Outcome] + ["Ikke ringet"]
        values = [summary.outcomes.get(o, 0) for o in Outcome] + [summary.not_called]
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.bar(labels, values, orientation="horizontal")
        plt.title("Endelige udfald (antal virksomheder)")
        plot.refresh()

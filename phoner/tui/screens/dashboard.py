"""The coordinator's dashboard: progress per round, outcomes, overdue follow-ups, feeds.

``DashboardScreen(campaign_id=...)`` shows, refreshed every 30 seconds (and on ``r``):
each round's progress (called and answered of the round's companies), the distribution
of final outcomes as one bar per outcome with its count
(:class:`~phoner.tui.widgets.bar_chart.BarChart`, every row at every size from 80×24),
follow-ups past their due date per consultant, consultants who have not fetched their
calendar feed (or have bookings they have not seen), and e-mails the server refused or
that still wait (a line shown only when there are any). The figures come from core's
dashboard read model, read in a worker (the screen never blocks; a failure is a
notification, the dashboard stays open).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Static

from phoner.core.display import format_local
from phoner.core.models import Outcome, RoundState
from phoner.formats.report_output import Pct
from phoner.tui import usecases
from phoner.tui.i18n import outcome_label, t
from phoner.tui.screens.base import DataScreen
from phoner.tui.widgets.bar_chart import BarChart

ROUND_STATE_KEYS = {
    RoundState.PLANNED: "dash.round.planned",
    RoundState.ACTIVE: "dash.round.active",
    RoundState.CLOSED: "dash.round.closed",
}
BAR_WIDTH = 12


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``█████░░░░░  50 %`` (whole percent; ``–`` for an empty round)."""
    if total <= 0:
        return "░" * width + "    –"
    filled = round(width * done / total)
    pct = Pct(done, total).whole
    return "█" * filled + "░" * (width - filled) + f" {pct:>3} %"


class DashboardScreen(DataScreen[usecases.Dashboard]):
    """The coordinator's live overview of one campaign."""

    DEFAULT_CSS = """
    DashboardScreen { layout: vertical; }
    DashboardScreen #dash-title { height: auto; padding: 0 1; text-style: bold; }
    DashboardScreen #dash-mail { height: 1; padding: 0 1; }
    DashboardScreen #dash-mail.failed { color: $error; text-style: bold; }
    DashboardScreen #dash-rounds { height: auto; max-height: 6; }
    DashboardScreen #dash-middle { height: auto; margin-top: 1; }
    DashboardScreen #dash-outcomes { width: 3fr; }
    DashboardScreen #dash-followups-box { width: 2fr; height: auto; }
    DashboardScreen #dash-overdue { height: auto; max-height: 10; }
    DashboardScreen .dash-heading { height: auto; padding: 0 1; text-style: bold; }
    DashboardScreen #dash-feeds { height: 1fr; min-height: 3; }
    """

    BINDINGS = [
        Binding("r", "reload", "bind.refresh"),
        Binding("l", "held_companies", "dash.bind.held"),
        Binding("escape", "app.pop_screen", "bind.back"),
    ]

    REFRESH_SECONDS = 30.0

    def __init__(self, *, campaign_id: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.summary: usecases.Dashboard | None = None

    def compose(self) -> ComposeResult:
        yield Static(t("dash.title"), id="dash-title")
        yield Static("", id="dash-mail")
        yield DataTable(id="dash-rounds", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="dash-middle"):
            yield BarChart(id="dash-outcomes")
            with Vertical(id="dash-followups-box"):
                yield Static(
                    t("dash.followups"), id="dash-followups-summary", classes="dash-heading"
                )
                yield DataTable(id="dash-overdue", cursor_type="row")
        yield Static(t("dash.feeds"), classes="dash-heading")
        yield DataTable(id="dash-feeds", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#dash-rounds", DataTable).add_columns(
            *(
                t(f"dash.col.{c}")
                for c in ("round", "state", "companies", "called", "answered", "progress")
            )
        )
        self.query_one("#dash-overdue", DataTable).add_columns(
            t("col.consultant"), t("dash.col.overdue")
        )
        self.query_one("#dash-feeds", DataTable).add_columns(
            t("col.consultant"),
            t("dash.col.jobcenter"),
            t("dash.col.fetched"),
            t("dash.col.unseen"),
        )
        self.load()
        self.set_interval(self.REFRESH_SECONDS, self.load)

    def action_held_companies(self) -> None:
        """Who holds which company; give a stale one back (the heartbeat lease)."""
        self.phoner_app.open_held_companies()

    def fetch(self) -> usecases.Dashboard:
        return usecases.dashboard(self.db, campaign_id=self.campaign_id, today=self.host.today())

    # ----------------------------------------------------------------- rendering

    def show(self, data: usecases.Dashboard) -> None:
        summary = data
        self.summary = summary
        total = sum(r.companies for r in summary.rounds)
        called = sum(r.called for r in summary.rounds)
        answered = sum(r.answered for r in summary.rounds)
        self.query_one("#dash-title", Static).update(
            t(
                "dash.title_full",
                campaign=summary.campaign,
                total=total,
                called=called,
                answered=answered,
            )
        )
        rounds = self.query_one("#dash-rounds", DataTable)
        rounds.clear()
        for r in summary.rounds:
            rounds.add_row(
                str(r.number) if r.number is not None else t("dash.no_round"),
                t(ROUND_STATE_KEYS[r.state]) if r.state in ROUND_STATE_KEYS else "–",
                str(r.companies),
                str(r.called),
                str(r.answered),
                progress_bar(r.called, r.companies),
            )
        self._show_mail(summary)
        self._plot_outcomes(summary)
        self.query_one("#dash-followups-summary", Static).update(
            t(
                "dash.followups_full",
                open=summary.followups_open,
                overdue=summary.followups_overdue,
            )
        )
        overdue = self.query_one("#dash-overdue", DataTable)
        overdue.clear()
        for name, n in summary.overdue_by_consultant:
            who = t("dash.no_consultant") if name == usecases.NO_CONSULTANT else name
            overdue.add_row(who, str(n))
        feeds = self.query_one("#dash-feeds", DataTable)
        feeds.clear()
        for f in summary.feed_lagging:
            feeds.add_row(
                f.consultant,
                f.jobcenter or "–",
                format_local(f.last_fetch) if f.last_fetch else t("dash.never"),
                str(f.unseen_bookings),
            )

    def _show_mail(self, summary: usecases.Dashboard) -> None:
        """E-mails the server refused (and how many wait): hidden when there are none."""
        mail = self.query_one("#dash-mail", Static)
        failed, waiting = summary.outbox_failed, summary.outbox_waiting
        mail.display = bool(failed or waiting)
        mail.set_class(failed > 0, "failed")
        key = "dash.mail_failed" if failed else "dash.mail_waiting"
        mail.update(t(key, failed=failed, waiting=waiting))

    def _plot_outcomes(self, summary: usecases.Dashboard) -> None:
        """One bar per outcome (every outcome, also at 0) and one for the not called."""
        chart = self.query_one("#dash-outcomes", BarChart)
        rows = [(outcome_label(o), summary.outcomes.get(o, 0)) for o in Outcome]
        chart.title = t("dash.outcomes")
        chart.rows = (*rows, (t("dash.not_called"), summary.not_called))

"""The coordinator's dashboard on a campaign with known figures (Pilot + snapshot)."""

from __future__ import annotations

import datetime as dt

from textual.widgets import DataTable, Static

from phoner.core.db import Database
from phoner.tui.screens.dashboard import DashboardScreen, progress_bar
from tests.support.clock import Clock
from tests.support.host import ScreenHost
from tests.support.pilot import settle
from tests.support.worlds import TODAY, reports_world

#: Noon on the reports world's today.
NOON = dt.datetime.combine(TODAY, dt.time(11, 0), tzinfo=dt.UTC)


def dash_app(db: Database, campaign_id: int) -> ScreenHost:
    return ScreenHost(lambda: DashboardScreen(campaign_id=campaign_id), db=db, clock=Clock(NOON))


def _campaign(db: Database) -> int:
    with db.session(write=True) as s:
        c = reports_world(s)
        assert c.id is not None
        return c.id


def _cells(table: DataTable) -> list[list[str]]:  # type: ignore[type-arg]
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_progress_bar() -> None:
    assert progress_bar(1, 2, width=10) == "█████░░░░░  50 %"
    assert progress_bar(0, 0, width=4) == "░░░░    –"


async def test_dashboard_shows_the_campaign(sqlite_db: Database) -> None:
    cid = _campaign(sqlite_db)
    app = dash_app(sqlite_db, cid)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        title = str(screen.query_one("#dash-title", Static).render())
        assert "Efterår" in title and "13 virksomheder, 12 ringet til, 6 besvaret" in title
        rounds = _cells(screen.query_one("#dash-rounds", DataTable))
        assert [r[:5] for r in rounds] == [
            ["1", "Planlagt", "8", "7", "5"],
            ["2", "Planlagt", "3", "3", "1"],
            ["3", "Planlagt", "0", "0", "0"],
            ["4", "Planlagt", "2", "2", "0"],
        ]
        assert rounds[0][5].endswith(" 88 %")  # 7 of 8 called
        summary = str(screen.query_one("#dash-followups-summary", Static).render())
        assert "3 åbne, 2 med overskredet frist" in summary
        assert _cells(screen.query_one("#dash-overdue", DataTable)) == [
            ["Ingen ansvarlig", "1"],
            ["Karen", "1"],
        ]
        feeds = _cells(screen.query_one("#dash-feeds", DataTable))
        assert [f[0] for f in feeds] == ["Niels", "Pia", "Karen", "Ole"]
        assert all(f[2] == "aldrig" for f in feeds)
        # a consultant fetches the feed: after a refresh only the others remain
        from sqlmodel import select

        from phoner.core.models import Consultant, utcnow

        with sqlite_db.session(write=True) as s:
            for k in s.exec(select(Consultant).where(Consultant.name == "Ole")).all():
                k.last_feed_fetch_at = utcnow()  # after every booking was made
                s.add(k)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        feeds = _cells(screen.query_one("#dash-feeds", DataTable))
        assert [f[0] for f in feeds] == ["Niels", "Pia", "Karen"]


async def test_dashboard_shows_refused_emails(sqlite_db: Database) -> None:
    from email.message import EmailMessage

    from phoner.core import outbox
    from phoner.core.models import OutboxMessage, OutboxStatus

    cid = _campaign(sqlite_db)
    app = dash_app(sqlite_db, cid)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        mail = app.screen.query_one("#dash-mail", Static)
        assert not mail.display  # nothing in the outbox: no line
        with sqlite_db.session(write=True) as s:
            for to in ("a@b.dk", "c@d.dk"):
                m = EmailMessage()
                m["Subject"] = "Påmindelse"
                mid = outbox.enqueue(s, message=m, recipient=to, kind="reminder", campaign_id=cid)
            row = s.get(OutboxMessage, mid)
            assert row is not None
            row.status, row.last_error = OutboxStatus.FAILED, "550 5.1.1 Unknown user"
            s.add(row)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert mail.display and mail.has_class("failed")
        assert "1 afvist af serveren, 1 venter" in str(mail.render())


def test_dashboard_snapshot(snap_compare, sqlite_db: Database) -> None:  # type: ignore[no-untyped-def]
    cid = _campaign(sqlite_db)

    async def redrawn(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # the tables' headers are re-measured after their rows arrive; under load the
        # snapshot could catch the header drawn with the old widths: redraw them first
        for table in pilot.app.screen.query(DataTable):
            table.refresh(layout=True)
        await pilot.pause()

    assert snap_compare(dash_app(sqlite_db, cid), terminal_size=(120, 45), run_before=redrawn)


async def test_screens_open_from_the_phoner_app(make_app) -> None:  # type: ignore[no-untyped-def]
    """The start screen's F2/F3/F4 open the dashboard, follow-ups and visits."""
    from phoner.tui.screens.followups import FollowUpsScreen
    from phoner.tui.screens.visits import VisitsScreen

    app = make_app()
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        for key, cls in (("f2", DashboardScreen), ("f3", FollowUpsScreen), ("f4", VisitsScreen)):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, cls), key
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, cls)
        await pilot.press("f2")
        await settle(pilot)
        title = str(app.screen.query_one("#dash-title", Static).render())
        assert "240 virksomheder, 0 ringet til" in title


def test_bar_chart_is_exact_and_numbered() -> None:
    from phoner.tui.widgets.bar_chart import bar_cells, chart_text

    assert bar_cells(1, 29, 29) == "█"  # a 1 is one cell where 29 fills 29
    assert bar_cells(29, 29, 29) == "█" * 29
    assert bar_cells(1, 1000, 10) == "▏"  # above zero: always a sliver
    assert bar_cells(0, 5, 10) == ""
    lines = chart_text("T", [("Vil kontaktes", 1), ("Ikke ringet", 29)], 40).plain.split("\n")
    assert lines[1].endswith(" 1") and lines[2].endswith(" 29")
    assert lines[2].count("█") == 40 - 13 - 2 - 3  # the largest fills the room left


async def test_dashboard_draws_every_outcome_with_its_number_at_80x24(
    sqlite_db: Database,
) -> None:
    from phoner.core.models import Outcome
    from phoner.tui.i18n import outcome_label
    from phoner.tui.widgets.bar_chart import BarChart

    cid = _campaign(sqlite_db)
    app = dash_app(sqlite_db, cid)
    for size in ((80, 24), (120, 40)):
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            chart = app.screen.query_one("#dash-outcomes", BarChart)
            assert chart.region.height == 2 + len(Outcome)  # title, outcomes, not called
            assert chart.region.bottom <= size[1] - 1
            lines = [
                "".join(s.text for s in app.screen._compositor.render_strips()[y])  # type: ignore[attr-defined]
                for y in range(chart.region.y, chart.region.bottom)
            ]
            text = "\n".join(line[chart.region.x : chart.region.right] for line in lines)
            summary = app.screen.query_one("#dash-followups-summary", Static)
            assert summary.region.height >= 1
            for outcome in Outcome:
                assert outcome_label(outcome) in text, (size, outcome)
            assert "7.2" not in text and "0.0" not in text
            for row, (label, n) in zip(text.split("\n")[1:], chart.rows, strict=True):
                assert row.rstrip().endswith(f" {n}"), (size, label, row)
        app = dash_app(sqlite_db, cid)

"""``PHONER_LANG=en``: the TUI's own words follow the language, also where they name
core's values (calling hours, clearing decisions, cancel reasons) (issue 14)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from phoner.core.db import Database
from phoner.core.models import CancelReason, ClearingReason, ClearingState, MeetingStatus
from phoner.core.queue.hours import Closed
from phoner.tui import i18n, usecases
from phoner.tui.app import PhonerApp
from phoner.tui.screens.call import CallScreen
from tests.support.clock import NOW, Clock
from tests.support.host import ScreenHost
from tests.support.pilot import settle
from tests.support.worlds import reports_world


@pytest.fixture
def english() -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language("da")


def test_core_values_are_labelled_in_the_language(english: None) -> None:
    assert usecases.CANCEL_LABELS[CancelReason.CONSULTANT_CANCELLED] == "The consultant cancelled"
    assert usecases.DECISION_LABELS[ClearingState.KEEP] == "Keep"
    assert usecases.MEETING_STATUS_LABELS[MeetingStatus.AFHOLDT] == "Held"
    assert usecases.CLEARING_REASON_LABELS[ClearingReason.DUBLET] == "Duplicate"
    assert usecases.FLAG_LABELS["mangler_cvr"] == "No CVR number"
    assert list(usecases.CANCEL_LABELS) == list(CancelReason)
    hours = Closed("hours", dt.time(9), dt.time(16))
    assert i18n.closed_text(hours) == "Calling hours are 09:00–16:00 on weekdays."
    assert (
        i18n.closed_text(Closed("weekend", dt.time(9), dt.time(16))) == "No calls at the weekend."
    )
    assert i18n.closed_text(None) is None
    i18n.set_language("da")
    assert usecases.DECISION_LABELS[ClearingState.KEEP] == "Behold"
    assert usecases.CANCEL_LABELS[CancelReason.CONSULTANT_CANCELLED] == "Konsulenten aflyste"
    assert i18n.closed_text(hours) == "Ringetiden er 09.00–16.00 på hverdage."


async def test_calling_hours_line_in_english(
    make_app: Callable[..., PhonerApp], clock: Clock
) -> None:
    clock.now = dt.datetime(2026, 11, 24, 18, 0, tzinfo=dt.UTC)  # 19:00 in Copenhagen
    app = make_app(lang="en", phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CallScreen) and screen.claim is None
        body = str(screen.query_one("#script-body").render())
        assert "Calling hours are 09:00–16:00 on weekdays." in body and "Ringetiden" not in body


async def test_clearing_decisions_in_english(make_app: Callable[..., PhonerApp]) -> None:
    app = make_app(lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        jobcenter_id, _name = app._campaign_jobcenters()[0]
        app.open_clearing(jobcenter_id)
        await settle(pilot)
        table = app.screen.query_one("DataTable")
        cells = {str(c) for i in range(table.row_count) for c in table.get_row_at(i)}  # type: ignore[attr-defined]
        assert any("Keep" in c for c in cells) and not any("Behold" in c for c in cells)


def test_agreement_categories_follow_the_language(english: None) -> None:
    from phoner.core.models import AgreementCategory

    assert usecases.AGREEMENT_LABELS[AgreementCategory.LOENTILSKUD] == "Wage subsidy"
    assert list(usecases.AGREEMENT_LABELS) == list(AgreementCategory)
    i18n.set_language("da")
    assert usecases.AGREEMENT_LABELS[AgreementCategory.LOENTILSKUD] == "Løntilskud"


async def test_dashboard_in_english(sqlite_db: Database) -> None:
    """Outcomes, the 'no consultant' row and the rest of the dashboard in English."""
    from textual.widgets import DataTable

    from phoner.core.models import Outcome
    from phoner.tui.screens.dashboard import DashboardScreen
    from phoner.tui.widgets.bar_chart import BarChart

    with sqlite_db.session(write=True) as s:
        campaign = reports_world(s)
        cid = campaign.id
    assert cid is not None
    app = ScreenHost(
        lambda: DashboardScreen(campaign_id=cid), db=sqlite_db, clock=Clock(NOW), lang="en"
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = app.screen.query_one("#dash-outcomes", BarChart)
        labels = [label for label, _ in chart.rows]
        assert labels[:2] == ["Wants contact", "Not interested"]
        assert "Not now, later" in labels and "Not called" in labels
        assert not any(Outcome.VIL_KONTAKTES.label == label for label in labels)
        overdue = app.screen.query_one("#dash-overdue", DataTable)
        names = [str(overdue.get_row_at(i)[0]) for i in range(overdue.row_count)]
        assert "No one responsible" in names and "Ingen ansvarlig" not in names

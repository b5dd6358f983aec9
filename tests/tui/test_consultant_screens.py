"""The consultant's screens: my follow-ups (mark done) and my visits (record a result)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from textual.widgets import DataTable, Input, Select, Static

from phoner.core import visits
from phoner.core.db import Database
from phoner.core.models import (
    AgreementCategory,
    Booking,
    Company,
    Consultant,
    FollowUp,
    MeetingStatus,
    VisitResult,
)
from phoner.tui.screens.dialogs import TextDialog
from phoner.tui.screens.followups import FollowUpsScreen
from phoner.tui.screens.visits import VisitResultModal, VisitsScreen
from tests.support.clock import Clock
from tests.support.host import ScreenHost, errors
from tests.support.pilot import settle
from tests.support.worlds import TODAY, reports_world

#: Noon on the reports world's today; the world's last visit (9 November) is in the past.
NOON = dt.datetime.combine(TODAY, dt.time(11, 0), tzinfo=dt.UTC)
AFTER_THE_VISITS = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)


def _setup(db: Database) -> tuple[int, int, int]:
    with db.session(write=True) as s:
        c = reports_world(s)
        karen = s.exec(select(Consultant).where(Consultant.name == "Karen")).one()
        pia = s.exec(select(Consultant).where(Consultant.name == "Pia")).one()
        assert c.id is not None and karen.id is not None and pia.id is not None
        return c.id, karen.id, pia.id


async def test_followups_screen_lists_overdue_first_and_marks_done(sqlite_db: Database) -> None:
    cid, karen, _ = _setup(sqlite_db)
    screen = FollowUpsScreen(campaign_id=cid, consultant_id=karen)
    app = ScreenHost(lambda: screen, db=sqlite_db, clock=Clock(NOON), actor="karen")
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        table = screen.query_one("#fu-table", DataTable)
        empty = screen.query_one(".table-empty", Static)
        assert table.row_count == 1  # Karen's open one (the call follow-up is done)
        assert not empty.display
        assert "OVERSKREDET" in str(table.get_row_at(0)[1])
        await pilot.press("a")
        await settle(pilot)
        assert table.row_count == 2
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        app.screen.query_one("#dialog-input", Input).value = "Sendt to CV'er"
        await pilot.press("enter")
        await settle(pilot)
        assert table.row_count == 0
        # an empty list says so, and how to see the done ones
        assert empty.display and "Ingen åbne opfølgninger" in str(empty.render())
        assert "Tryk a" in str(empty.render())
    with sqlite_db.session() as s:
        done = s.exec(select(FollowUp).where(FollowUp.note == "Sendt to CV'er")).one()
        assert done.done_by == "karen" and done.done_at is not None


async def test_visits_screen_records_a_result(sqlite_db: Database) -> None:
    cid, _, pia = _setup(sqlite_db)
    screen = VisitsScreen(campaign_id=cid, consultant_id=pia)
    app = ScreenHost(lambda: screen, db=sqlite_db, clock=Clock(AFTER_THE_VISITS), actor="pia")
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot)
        table = screen.query_one("#visits-table", DataTable)
        assert table.row_count == 1
        assert "Mangler resultat" in str(table.get_row_at(0)[3])
        await pilot.press("e")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, VisitResultModal)
        modal.query_one("#vr-status", Select).value = MeetingStatus.AFHOLDT.value
        modal.query_one("#vr-fleksjob", Input).value = "2"
        modal.query_one("#vr-virksomhedspraktik", Input).value = "1"
        modal.query_one("#vr-note", Input).value = "God snak"
        modal.save()
        await settle(pilot)
        assert "Afholdt" in str(table.get_row_at(0)[3])
        assert "Fleksjob 2" in str(table.get_row_at(0)[4])
        empty = screen.query_one(".table-empty", Static)
        assert not empty.display
        await pilot.press("m")  # only those without a result: none left
        await settle(pilot)
        assert table.row_count == 0 and empty.display
        assert "Alle afholdte besøg har et resultat" in str(empty.render())
        await pilot.press("m")
        await settle(pilot)
        assert table.row_count == 1 and not empty.display
        # a bad count is refused in the form, nothing saved
        await pilot.press("e")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, VisitResultModal)
        assert modal.query_one("#vr-fleksjob", Input).value == "2"  # pre-filled
        modal.query_one("#vr-status", Select).value = MeetingStatus.KONSULENT_UDEBLEV.value
        modal.save()  # agreements with a no-show: the service refuses, screen says why
        await settle(pilot)
        assert "Afholdt" in str(table.get_row_at(0)[3])
        assert errors(app) and app.is_running
    with sqlite_db.session() as s:
        n = s.exec(select(Company).where(Company.name == "N")).one()
        booking = s.exec(select(Booking).where(Booking.company_id == n.id)).one()
        r = s.exec(select(VisitResult).where(VisitResult.booking_id == booking.id)).one()
        assert r.status == MeetingStatus.AFHOLDT and r.note == "God snak" and r.id is not None
        assert visits.agreements_of(session=s, visit_result_id=r.id) == {
            AgreementCategory.FLEKSJOB: 2,
            AgreementCategory.VIRKSOMHEDSPRAKTIK: 1,
        }

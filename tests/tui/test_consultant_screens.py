"""The consultant's screens: my follow-ups (mark done) and my visits (record a result)."""

from __future__ import annotations

from sqlmodel import select
from textual.app import App
from textual.screen import Screen
from textual.widgets import DataTable, Input, Select

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
from phoner.tui.screens.followups import DoneNoteModal, FollowUpsScreen
from phoner.tui.screens.visits import VisitResultModal, VisitsScreen
from tests.core.test_reports import TODAY, build


class OneScreenApp(App[None]):
    def __init__(self, screen: Screen[None]) -> None:
        super().__init__()
        self.first = screen

    def on_mount(self) -> None:
        self.push_screen(self.first)


def _setup(db: Database) -> tuple[int, int, int]:
    with db.session(write=True) as s:
        c = build(s)
        karen = s.exec(select(Consultant).where(Consultant.name == "Karen")).one()
        pia = s.exec(select(Consultant).where(Consultant.name == "Pia")).one()
        assert c.id is not None and karen.id is not None and pia.id is not None
        return c.id, karen.id, pia.id


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_followups_screen_lists_overdue_first_and_marks_done(sqlite_db: Database) -> None:
    cid, karen, _ = _setup(sqlite_db)
    screen = FollowUpsScreen(
        db=sqlite_db, campaign_id=cid, consultant_id=karen, actor="karen", today=lambda: TODAY
    )
    app = OneScreenApp(screen)
    async with app.run_test(size=(140, 30)) as pilot:
        await _settle(pilot)
        table = screen.query_one("#fu-table", DataTable)
        assert table.row_count == 1  # Karen's open one (the call follow-up is done)
        assert "OVERSKREDET" in str(table.get_row_at(0)[1])
        await pilot.press("a")
        await _settle(pilot)
        assert table.row_count == 2
        await pilot.press("a")
        await _settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DoneNoteModal)
        app.screen.query_one("#note", Input).value = "Sendt to CV'er"
        await pilot.press("enter")
        await _settle(pilot)
        assert table.row_count == 0
    with sqlite_db.session() as s:
        done = s.exec(select(FollowUp).where(FollowUp.note == "Sendt to CV'er")).one()
        assert done.done_by == "karen" and done.done_at is not None


async def test_visits_screen_records_a_result(sqlite_db: Database) -> None:
    cid, _, pia = _setup(sqlite_db)
    screen = VisitsScreen(db=sqlite_db, campaign_id=cid, consultant_id=pia, actor="pia")
    app = OneScreenApp(screen)
    async with app.run_test(size=(140, 50)) as pilot:
        await _settle(pilot)
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
        await _settle(pilot)
        assert "Afholdt" in str(table.get_row_at(0)[3])
        assert "Fleksjob 2" in str(table.get_row_at(0)[4])
        # a bad count is refused in the form, nothing saved
        await pilot.press("e")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, VisitResultModal)
        assert modal.query_one("#vr-fleksjob", Input).value == "2"  # pre-filled
        modal.query_one("#vr-status", Select).value = MeetingStatus.KONSULENT_UDEBLEV.value
        modal.save()  # agreements with a no-show: the service refuses, screen says why
        await _settle(pilot)
        assert "Afholdt" in str(table.get_row_at(0)[3])
    with sqlite_db.session() as s:
        n = s.exec(select(Company).where(Company.name == "N")).one()
        booking = s.exec(select(Booking).where(Booking.company_id == n.id)).one()
        r = s.exec(select(VisitResult).where(VisitResult.booking_id == booking.id)).one()
        assert r.status == MeetingStatus.AFHOLDT and r.note == "God snak" and r.id is not None
        assert visits.agreements_of(session=s, visit_result_id=r.id) == {
            AgreementCategory.FLEKSJOB: 2,
            AgreementCategory.VIRKSOMHEDSPRAKTIK: 1,
        }

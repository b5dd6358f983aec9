"""The booking dialog: first free slots, one key books, browse, contact, refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select
from textual.widgets import DataTable, Input, Static

from phoner.core.booking import service as bk
from phoner.core.db import Database
from phoner.core.models import Booking, Company
from phoner.tui.screens.booking import BookingScreen
from tests.support.clock import NOW, Clock
from tests.support.host import ScreenHost, errors

# NOW: Tuesday 24 November 2026, 10:00 Copenhagen: earliest bookable day is Thursday 26.


def _company(db: Database) -> Company:
    with db.session() as s:
        c = s.exec(
            select(Company)
            .where(Company.municipality == "Køge", col(Company.email).is_not(None))
            .order_by(col(Company.id))
        ).first()
        assert c is not None
        return c


async def _settle(pilot: Any) -> None:
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _rows(screen: BookingScreen) -> list[list[str]]:
    table = screen.query_one("#booking-slots", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_enter_books_the_first_free_slot_with_contact(demo_db: Database) -> None:
    company = _company(demo_db)
    assert company.id is not None
    screen = BookingScreen(company_id=company.id, phoner="telefonist1")
    app = ScreenHost(lambda: screen, db=demo_db, clock=Clock(NOW))
    async with app.run_test(size=(100, 40)) as pilot:
        await _settle(pilot)
        rows = _rows(screen)
        assert len(rows) == 9
        assert rows[0][:3] == ["1", "tor 26.11.2026", "08.30–09.30"]
        assert screen.query_one("#booking-email", Input).value == company.email
        assert screen.query_one("#booking-contact", Input).value == (company.contact_person or "")
        screen.query_one("#booking-mobile", Input).value = "20 30 40 50"
        screen.query_one("#booking-slots", DataTable).focus()
        await pilot.press("enter")
        await _settle(pilot)
    assert isinstance(app.result, int) and errors(app) == []
    with demo_db.session() as s:
        b = s.get(Booking, app.result)
        assert b is not None and b.company_id == company.id and b.booked_by == "telefonist1"
        assert b.contact_mobile == "+4520304050" and b.contact_email == company.email
        assert b.start == dt.datetime(2026, 11, 26, 7, 30, tzinfo=dt.UTC)


async def test_browse_days_and_consultants_then_number_key(demo_db: Database) -> None:
    company = _company(demo_db)
    assert company.id is not None
    screen = BookingScreen(company_id=company.id, phoner="t")
    app = ScreenHost(lambda: screen, db=demo_db, clock=Clock(NOW))
    async with app.run_test(size=(100, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("right")  # the whole first day
        await _settle(pilot)
        assert screen.day == dt.date(2026, 11, 26)
        assert {r[1] for r in _rows(screen)} == {"tor 26.11.2026"}
        await pilot.press("right")
        await _settle(pilot)
        assert screen.day == dt.date(2026, 11, 27)
        await pilot.press("right")  # weekend skipped: Monday
        await _settle(pilot)
        assert screen.day == dt.date(2026, 11, 30)
        mode = str(screen.query_one("#booking-mode", Static).render())
        assert "mandag 30.11.2026" in mode and "alle konsulenter" in mode
        await pilot.press("c")
        await _settle(pilot)
        names = {r[3] for r in _rows(screen)}
        assert len(names) == 1 and screen.consultant_id is not None
        assert f"kun {names.pop()}" in str(screen.query_one("#booking-mode", Static).render())
        await pilot.press("f")
        await _settle(pilot)
        assert screen.day is None
        third = screen.slots[2]
        await pilot.press("3")
        await _settle(pilot)
    with demo_db.session() as s:
        b = s.get(Booking, app.result)
        assert b is not None and b.start == third.start
        assert b.consultant_id == third.consultant_id


async def test_slot_taken_meanwhile_is_refused_and_list_refreshed(demo_db: Database) -> None:
    company = _company(demo_db)
    assert company.id is not None
    with demo_db.session() as s:
        other = s.exec(
            select(Company).where(Company.municipality == "Køge", Company.id != company.id)
        ).first()
        assert other is not None and other.id is not None
    screen = BookingScreen(company_id=company.id, phoner="t1")
    app = ScreenHost(lambda: screen, db=demo_db, clock=Clock(NOW))
    async with app.run_test(size=(100, 40)) as pilot:
        await _settle(pilot)
        first = screen.slots[0]
        # another phoner takes the same slot before this one presses the key
        bk.book_visit(
            db=demo_db,
            company_id=other.id,
            consultant_id=first.consultant_id,
            start=first.start,
            booked_by="t2",
            now=NOW,
        )
        await pilot.press("1")
        await _settle(pilot)
        error = str(screen.query_one("#booking-error", Static).render())
        assert "Overlapper et andet besøg" in error and "Første ledige tid" in error
        assert app.result == "pending"  # still open
        assert (screen.slots[0].consultant_id, screen.slots[0].start) != (
            first.consultant_id,
            first.start,
        )
        await pilot.press("escape")
        await _settle(pilot)
    assert app.result is None
    with demo_db.session() as s:
        assert s.exec(select(Booking).where(Booking.company_id == company.id)).all() == []


async def test_bookings_list_move_and_cancel(demo_db: Database) -> None:
    from phoner.core.models import BookingStatus, CancelReason
    from phoner.tui.screens.booking import BookingsScreen

    company = _company(demo_db)
    assert company.id is not None
    with demo_db.session() as s:
        slots = bk.find_slots(session=s, company_id=company.id, now=NOW, limit=3)
    b = bk.book_visit(
        db=demo_db,
        company_id=company.id,
        consultant_id=slots[0].consultant_id,
        start=slots[0].start,
        booked_by="t",
        now=NOW,
    )
    screen = BookingsScreen(campaign_id=company.campaign_id)
    app = ScreenHost(lambda: screen, db=demo_db, clock=Clock(NOW), actor="koordinator")
    async with app.run_test(size=(110, 40)) as pilot:
        await _settle(pilot)
        table = screen.query_one("#bookings-table", DataTable)
        assert table.row_count == 1
        assert str(table.get_row_at(0)[0]) == str(b.id)
        await pilot.press("m")  # move: the slot dialog in move mode
        await _settle(pilot)
        mover = app.screen
        assert isinstance(mover, BookingScreen) and mover.move_booking_id == b.id
        assert "Flyt besøg" in str(mover.query_one("#booking-title", Static).render())
        target = next(
            x for x in mover.slots if x.consultant_id == b.consultant_id and x.start != b.start
        )
        await pilot.press(str(mover.slots.index(target) + 1))
        await _settle(pilot)
        assert app.screen is screen
        with demo_db.session() as s:
            moved = s.get(Booking, b.id)
            assert moved is not None and moved.start == target.start and moved.sequence == 1
        await pilot.press("a")
        await _settle(pilot)
        await pilot.press("2")
        await _settle(pilot)
        assert "er aflyst (konsulenten aflyste)" in str(
            screen.query_one("#booking-error", Static).render()
        )
        assert table.row_count == 0
    assert errors(app) == []
    with demo_db.session() as s:
        done = s.get(Booking, b.id)
        assert done is not None and done.status == BookingStatus.CANCELLED
        assert done.cancel_reason == CancelReason.CONSULTANT_CANCELLED and done.sequence == 2

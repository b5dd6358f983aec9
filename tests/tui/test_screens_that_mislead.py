"""Screens that must not mislead (issue 14): what was booked stays in view, the call list
opens a company and searches, everything fits 80×24, a booked company says so."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import col, select
from textual.widgets import Footer, Input

from phoner.core import visits
from phoner.core.db import Database
from phoner.core.models import (
    Booking,
    BookingStatus,
    Company,
    CompanyCancelReason,
    MeetingStatus,
)
from phoner.core.queue.claims import claim_company
from phoner.tui.app import PhonerApp
from phoner.tui.screens.booking import BookingScreen
from phoner.tui.screens.call import CallScreen
from phoner.tui.screens.call_list import CallListScreen
from phoner.tui.widgets.company_card import card_text
from phoner.tui.widgets.company_table import CompanyTable, fit_columns
from phoner.tui.widgets.status_line import StatusLine
from tests.support.calling import start_calling
from tests.support.clock import NOW
from tests.support.host import errors, notifications
from tests.support.pilot import settle

#: The script's keys to "may a consultant visit? -> yes" (then Enter books).
TO_VISIT = ("1", "3", "1", "1", "1", "enter")


async def _book_first_slot(pilot, screen: CallScreen) -> int:  # type: ignore[no-untyped-def]
    first = screen.claim
    assert first is not None
    await pilot.press(*TO_VISIT)
    await settle(pilot)
    assert isinstance(pilot.app.screen, BookingScreen)
    await pilot.press("enter")
    await settle(pilot)
    return first.company_id


async def test_what_was_booked_stays_on_the_status_line(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        company_id = await _book_first_slot(pilot, screen)
        with demo_db.session() as s:
            booking = s.exec(select(Booking)).one()
            company = s.get(Company, company_id)
            assert company is not None
        last = screen.query_one(StatusLine).last
        # day, date, time and consultant, then the company: the most important first
        assert last.startswith("✓ Besøg booket tor 26.11.2026 kl. 08.30–09.30 hos "), last
        assert company.name in last
        assert any("Besøg booket tor 26.11.2026" in n for n in notifications(app))
        # still there after the toast is gone, while the next company is on screen
        assert screen.claim is not None and screen.claim.company_id != booking.company_id
        status = str(screen.query_one(StatusLine).render())
        assert "Besøg booket tor 26.11.2026 kl. 08.30" in status
        assert all(len(line) <= 78 for line in status.splitlines())
        # the next saved outcome replaces it
        await pilot.press("i")
        await settle(pilot)
        assert screen.query_one(StatusLine).last.startswith("Sidst: Ikke truffet")


async def test_the_start_screen_footer_shows_every_f_key_at_80x24(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        keys = {
            k.key_display or k.key: k.region
            for k in footer.query("FooterKey")  # type: ignore[attr-defined]
        }
        shown = [key for key, region in keys.items() if region.right <= 80 and region.width]
        for key in ("f5", "f2", "f3", "f4", "f6"):
            assert any(key in k.lower() for k in shown), (key, keys)


async def test_the_footer_shows_the_coordinator_keys_as_soon_as_a_campaign_is_chosen(
    make_app: Callable[..., PhonerApp],
) -> None:
    """F2-F6 depend on a chosen campaign; the footer must not wait for the next focus
    change to show them (on a busy machine the start screen came up without them)."""
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen

        def footer_keys() -> set[str]:
            footer = screen.query_one(Footer)
            return {k.key for k in footer.query("FooterKey")}  # type: ignore[attr-defined]

        chosen = screen.campaign  # type: ignore[attr-defined]
        assert chosen is not None and "f2" in footer_keys()
        app.campaign_id, screen.campaign = None, None  # type: ignore[attr-defined]
        screen.refresh_bindings()
        await pilot.pause()
        assert "f2" not in footer_keys()
        screen._choose_campaign(chosen)  # type: ignore[attr-defined]
        await settle(pilot)
        assert {"f2", "f3", "f4", "f6"} <= footer_keys()


def test_call_list_columns_keep_the_state_on_screen() -> None:
    full = ("name", "cvr", "phone", "municipality", "round", "state")
    for width in (80, 100, 120, 200):
        layout = fit_columns(full, width)
        keys = [k for k, _ in layout]
        assert "state" in keys and "name" in keys
        assert sum(w for _, w in layout) + 2 * len(layout) + 2 <= width, (width, layout)
    assert [k for k, _ in fit_columns(full, 120)] == list(full)


async def test_call_list_enter_opens_the_company_and_typing_searches(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    with demo_db.session() as s:
        target = s.exec(
            select(Company).where(col(Company.name).contains("Herfølge")).order_by(col(Company.id))
        ).first()
        assert target is not None and target.id is not None
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        before = screen.claim
        assert before is not None
        await pilot.press("k")
        await settle(pilot)
        listing = app.screen
        assert isinstance(listing, CallListScreen)
        table = listing.query_one(CompanyTable)
        state = table.columns[next(iter(k for k in table.columns if k.value == "state"))]
        assert state.width > 0
        # the Status column is on screen at 80 columns
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= 78
        await pilot.press(*"herfølge")  # typing on the list searches
        await settle(pilot)
        assert listing.query_one("#list-search", Input).value == "herfølge"
        assert table.row_count >= 1 and all(
            "Herfølge" in str(table.get_row_at(i)[0]) for i in range(table.row_count)
        )
        table.focus()
        table.move_cursor(row=0)
        chosen = table.selected_id()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen, errors(app)
        assert screen.claim is not None and screen.claim.company_id == chosen
        assert screen.card is not None and screen.card.company.id == chosen
    # the company on screen before went back to the queue
    with demo_db.session() as s:
        old = s.get(Company, before.company_id)
        assert old is not None and old.lease_holder is None


async def test_call_list_refuses_a_company_another_phoner_holds(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_calling(pilot)
        mine = screen.claim
        assert mine is not None
        with demo_db.session() as s:
            other = s.exec(
                select(Company).where(col(Company.id) != mine.company_id).order_by(col(Company.id))
            ).first()
            assert other is not None and other.id is not None
        claim_company(db=demo_db, company_id=other.id, phoner="Bo", now=NOW)
        app.call_company(other.id)
        for _ in range(20):  # the worker fails on purpose: no wait_for_complete
            await pilot.pause(0.05)
            if errors(app):
                break
        assert screen.claim == mine  # nothing changed
        assert any("Bo taler med" in e for e in errors(app)), errors(app)


async def test_a_company_with_a_visit_says_so_and_booking_moves_it(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_calling(pilot)
        company_id = await _book_first_slot(pilot, screen)
        # the company calls back: opened from the call list, its card shows the visit
        app.call_company(company_id)
        await settle(pilot)
        assert screen.card is not None and screen.card.company.id == company_id
        assert len(screen.card.visits) == 1
        card = card_text(screen.card, now=NOW).plain
        assert "Besøg\n» tor 26.11.2026 kl. 08.30–09.30 hos " in card
        # the booking step offers to move it, and does
        await pilot.press(*TO_VISIT)
        await settle(pilot)
        booking = app.screen
        assert isinstance(booking, BookingScreen)
        existing = str(booking.query_one("#booking-existing").render())
        assert "allerede et besøg tor 26.11.2026 kl. 08.30–09.30" in existing
        assert booking.move_booking_id is not None
        await pilot.press("2")
        await settle(pilot)
        assert app.screen is screen, errors(app)
        assert screen.query_one(StatusLine).last.startswith("✓ Besøget er flyttet til ")
        # the consultant registers that the company cancelled (the visit page, before the
        # day): the card says so instead of showing a visit that will not happen
        with demo_db.session(write=True) as s:
            live_id = s.exec(
                select(Booking.id).where(
                    Booking.company_id == company_id, Booking.status == BookingStatus.BOOKED
                )
            ).one()
            visits.record_visit_result(
                session=s,
                booking_id=live_id or 0,
                status=MeetingStatus.AFLYST_AF_VIRKSOMHEDEN,
                company_cancel_reason=CompanyCancelReason.GLEMT,
                actor="k",
                now=NOW,
            )
        app.call_company(company_id)
        await settle(pilot)
        assert screen.card is not None and screen.card.company.id == company_id
        assert "Besøg\n» (Aflyst af virksomheden) " in card_text(screen.card, now=NOW).plain
    with demo_db.session() as s:
        rows = s.exec(select(Booking).where(Booking.company_id == company_id)).all()
    live = [b for b in rows if b.status == BookingStatus.BOOKED]
    assert len(live) == 1  # moved, never a second visit


def test_the_card_shows_open_followups() -> None:
    import dataclasses
    import datetime as dt

    from phoner.core.models import FollowUpKind
    from phoner.core.queue.card import CompanyCard, FollowUpLine

    company = Company(campaign_id=1, name="Firma A/S", phones=[])
    card = CompanyCard(
        company=company,
        campaign_name="K",
        jobcenter_name=None,
        round_number=None,
        attempts=[],
        clearing_notes=[],
        wrong_numbers=0,
    )
    due = dt.date(2026, 12, 4)
    card = dataclasses.replace(
        card,
        followups=(FollowUpLine(1, FollowUpKind.CALL_COMPANY, due, "Pia", "Ring om vikar"),),
    )
    text = card_text(card).plain
    assert "Åbne opfølgninger\n• Ring op, frist 04.12.2026 (Pia)" in text
    assert "Ring om vikar" in text


async def test_call_list_enter_asks_first_when_the_call_has_typed_work(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    """Enter on another company while answers or a note are typed asks (Enter = stay),
    as q and Ctrl+Q do; the second time the phoner chooses to leave the call."""
    from phoner.tui.screens.dialogs import ConfirmDialog

    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        before = screen.claim
        assert before is not None
        await pilot.press("1")  # an answer typed for the company on screen
        for leave in (False, True):
            await pilot.press("k")
            await settle(pilot)
            listing = app.screen
            assert isinstance(listing, CallListScreen)
            table = listing.query_one(CompanyTable)
            table.move_cursor(row=3)
            chosen = table.selected_id()
            assert chosen != before.company_id
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            assert "går tabt" in str(app.screen.query_one("#dialog-text").render())
            # Enter: stay in the call; Shift+Tab, Enter: "Ring til den valgte uden at gemme"
            await pilot.press(*(("shift+tab", "enter") if leave else ("enter",)))
            await settle(pilot)
            assert app.screen is screen, errors(app)
            if not leave:
                assert screen.claim == before
                assert screen.walk is not None and len(screen.walk.answers) == 1
        assert screen.claim is not None and screen.claim.company_id == chosen

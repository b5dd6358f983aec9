"""Pilot tests: the slips that lost a phoner's work (issue 14)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from rich.style import Style
from sqlmodel import select
from textual.widgets import Input, Label, Static

from phoner.core.booking import service as bk
from phoner.core.clock import local_to_utc, to_local
from phoner.core.db import Database
from phoner.core.models import Booking, Campaign, Company, Outcome
from phoner.core.phones import format_phone
from phoner.core.workdays import is_working_day
from phoner.tui.app import PhonerApp
from phoner.tui.i18n import format_when
from phoner.tui.screens.booking import BookingScreen
from phoner.tui.screens.call import CallScreen
from phoner.tui.screens.callback import CallbackScreen, presets
from phoner.tui.screens.dialogs import ConfirmDialog
from phoner.tui.screens.start import StartScreen
from phoner.tui.widgets.company_card import CompanyCardView, card_text
from phoner.tui.widgets.needs_form import NeedsForm
from tests.support.calling import attempts, start_calling
from tests.support.clock import NOW, Clock
from tests.support.host import notifications
from tests.support.pilot import settle, type_fast


async def test_typing_replaces_the_remembered_name(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Mette Jensen")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"Lars")
        assert app.screen.query_one("#name", Input).value == "Lars"


async def test_keys_typed_fast_after_tab_land_in_the_next_field(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        await pilot.press("b")  # the needs form, on the first field (job type)
        await type_fast(pilot, *"Kantine", "tab", "tab", "tab", *"8")
        form = screen.query_one(NeedsForm)
        assert form.values() == {"jobtype": "Kantine", "timer_pr_uge": 8}


async def test_keys_typed_fast_after_enter_land_in_the_next_field(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        await pilot.press("b")
        await type_fast(pilot, *"Kantine", "enter", "tab", *"Detail")
        assert screen.query_one(NeedsForm).values() == {"jobtype": "Kantine", "branche": "Detail"}


@pytest.mark.parametrize("typed", ["8-10", "ti timer"])
async def test_a_number_field_keeps_what_is_typed_and_refuses_to_save_it(
    make_app: Callable[..., PhonerApp], demo_db: Database, typed: str
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        await pilot.press("3", "b", "tab", "tab", "tab", *typed)
        field = screen.query_one("#need-timer_pr_uge", Input)
        assert field.value == typed  # never changed silently ("8-10" was "810")
        error = str(screen.query_one("#needs-error", Static).render())
        assert "Timer pr. uge" in error and "ikke et helt tal" in error
        await pilot.press("escape", "enter")  # try to save "ikke interesseret"
        await settle(pilot)
        assert attempts(demo_db) == []  # refused, with the message, on the field
        assert any("ikke et helt tal" in n for n in notifications(app))
        assert screen.focused is field
        await pilot.press("ctrl+u", "8", "escape", "enter")  # put right: now it saves
        await settle(pilot)
        await pilot.press("1")  # the reason: ingen opgaver
        await settle(pilot)
    [attempt] = attempts(demo_db)
    assert attempt.needs == {"timer_pr_uge": 8}


async def test_the_note_takes_several_lines_and_says_what_it_is_for(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        labels = [str(label.render()) for label in screen.query(".need-label").results(Label)]
        assert "Note om behovet" in labels and "Note om opkaldet" in labels
        await pilot.press("3", "n", *"Har ikke tid", "enter", *"Ring i august", "escape")
        assert not screen._typing()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("1")  # the reason: ingen opgaver
        await settle(pilot)
    [attempt] = attempts(demo_db)
    assert attempt.note == "Har ikke tid\nRing i august"


async def test_esc_in_the_booking_step_returns_to_the_call_as_it_was(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_calling(pilot)
        claim = screen.claim
        assert claim is not None
        await pilot.press("1", "3", "1", "1", "b", *"Kantine", "escape", "n", *"Lis", "escape")
        await pilot.press("1", "enter")  # "may a consultant visit? yes" -> the booking step
        await settle(pilot)
        assert isinstance(app.screen, BookingScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert attempts(demo_db) == []  # nothing saved
        assert screen.claim == claim  # the same company, still held
        assert screen.walk is not None and screen.walk.finished
        assert list(screen.walk.answers.values()) == ["1", "3", "1", "1", "1"]
        form = screen.query_one(NeedsForm)
        assert form.values() == {"jobtype": "Kantine"} and form.note() == "Lis"
        # saving without a visit is a choice of its own in the dialog
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BookingScreen)
        await pilot.press("g")
        await settle(pilot)
        assert app.screen is screen
        assert screen.claim is not None and screen.claim.company_id != claim.company_id
    [attempt] = attempts(demo_db)
    assert attempt.company_id == claim.company_id
    assert attempt.outcome == Outcome.VIL_KONTAKTES
    assert attempt.needs == {"jobtype": "Kantine"} and attempt.note == "Lis"
    with demo_db.session() as s:
        assert s.exec(select(Booking)).all() == []


def _held_by(db: Database, company_id: int) -> str | None:
    with db.session() as s:
        company = s.get(Company, company_id)
        assert company is not None
        return company.lease_holder


@pytest.mark.parametrize("quit_key", ["q", "ctrl+q"])
async def test_quitting_asks_first_when_something_is_typed(
    make_app: Callable[..., PhonerApp], demo_db: Database, quit_key: str
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        claim = screen.claim
        assert claim is not None
        await pilot.press("1", "n", *"Lis", "escape", quit_key)
        assert isinstance(app.screen, ConfirmDialog)
        assert "ikke gemt" in str(app.screen.query_one("#dialog-text", Label).render())
        await pilot.press("enter")  # Enter = stay
        await settle(pilot)
        assert app.screen is screen and app.is_running
        assert screen.walk is not None and list(screen.walk.answers.values()) == ["1"]
        assert screen.query_one(NeedsForm).note() == "Lis"
        await pilot.press(quit_key, "escape")  # Esc = stay too
        assert app.screen is screen and app.is_running
        await pilot.press(quit_key, "shift+tab", "enter")  # "Afslut uden at gemme"
        await settle(pilot)
        assert not app.is_running
    assert _held_by(demo_db, claim.company_id) is None
    assert attempts(demo_db) == []


async def test_the_leave_question_is_shown_whole_at_80x24(
    make_app: Callable[..., PhonerApp],
) -> None:
    # The question was one cut line ("... er ikke gemt og"): the label did not wrap.
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_calling(pilot)
        await pilot.press("1", "q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        label = app.screen.query_one("#dialog-text", Label)
        text = str(label.render())
        assert text.endswith("alligevel?")
        assert label.size.width * label.size.height >= len(text)
        dialog = app.screen.query_one("#confirm-dialog")
        assert label.region.right <= dialog.content_region.right


async def test_ctrl_q_without_anything_typed_quits_at_once(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        claim = screen.claim
        assert claim is not None
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert not app.is_running
    assert _held_by(demo_db, claim.company_id) is None


async def test_v_goes_back_to_the_start_screen_and_releases_the_company(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        claim = screen.claim
        assert claim is not None
        await pilot.press("1", "v")  # an answer is given: ask first
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("shift+tab", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StartScreen)
        assert _held_by(demo_db, claim.company_id) is None
        await pilot.press("enter")  # calling again, in the same round
        await settle(pilot)
        assert isinstance(app.screen, CallScreen) and app.screen.claim is not None
    assert attempts(demo_db) == []


# ---------------------------------------------------------------- during the call


async def test_the_card_shows_a_call_timer_from_when_the_company_is_shown(
    make_app: Callable[..., PhonerApp], clock: Clock
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        card = screen.query_one(CompanyCardView)
        assert "00:00" in str(card.border_subtitle)
        clock.advance(seconds=75)
        await pilot.pause(1.2)  # the timer ticks every second
        assert "01:15" in str(card.border_subtitle)
        await pilot.press("i")  # the next company: the timer starts again
        await settle(pilot)
        assert "00:00" in str(card.border_subtitle)


async def test_the_number_is_a_tel_link_and_c_copies_it(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        assert screen.card is not None
        phone = screen.card.company.phones[0]
        text = card_text(screen.card)
        links = {span.style.link for span in text.spans if isinstance(span.style, Style)}
        assert f"tel:{phone}" in links and phone.startswith("+45")
        await pilot.press("c")
        assert app.clipboard == phone
        assert any(format_phone(phone) in n and "kopieret" in n for n in notifications(app))


def _local(*args: int) -> dt.datetime:
    return local_to_utc(dt.date(*args[:3]), dt.time(*args[3:]))


def test_in_an_hour_after_calling_hours_is_the_next_working_days_start() -> None:
    hours = (dt.time(9, 0), dt.time(16, 0))
    # Friday 27 November 2026 15:30: 16:30 is after hours; Monday 09:00 instead
    friday = _local(2026, 11, 27, 15, 30)
    [(label, when), *_] = presets(friday, hours)
    assert when == _local(2026, 11, 30, 9, 0)
    assert "uden for ringetiden" in label and format_when(when, now=friday) in label
    # inside the hours it stays "in an hour"
    [(label, when), *_] = presets(_local(2026, 11, 24, 10, 0), hours)
    assert when == _local(2026, 11, 24, 11, 0) and "Om en time" in label
    # before the hours start: today's start
    [(_, when), *_] = presets(_local(2026, 11, 24, 7, 0), hours)
    assert when == _local(2026, 11, 24, 9, 0)


@pytest.mark.parametrize(
    ("start", "end"), [(dt.time(9, 0), dt.time(16, 0)), (dt.time(10, 30), dt.time(12, 0))]
)
def test_every_quick_pick_is_inside_the_calling_hours_on_a_working_day(
    start: dt.time, end: dt.time
) -> None:
    moments = [_local(2026, 11, 24, h, m) for h in range(6, 22) for m in (0, 25, 50)]
    moments += [_local(2026, 12, 23, 15, 30), _local(2026, 11, 28, 11, 0)]  # Christmas, Sat
    for now in moments:
        for _, when in presets(now, (start, end)):
            local = to_local(when)
            assert is_working_day(local.date()), (now, when)
            assert start <= local.time() < end, (now, when)
            assert when > now


async def test_the_picker_in_the_call_uses_the_campaigns_calling_hours(
    make_app: Callable[..., PhonerApp], demo_db: Database, clock: Clock
) -> None:
    with demo_db.session(write=True) as s:
        campaign = s.exec(select(Campaign)).first()
        assert campaign is not None
        campaign.calling_end = dt.time(10, 30)  # NOW is 10:00 in Copenhagen
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        await pilot.press("r")
        picker = app.screen
        assert isinstance(picker, CallbackScreen)
        assert picker.choices[0][1] == _local(2026, 11, 25, 9, 0)
        assert screen.calling_hours == (dt.time(9, 0), dt.time(10, 30))


async def test_esc_after_a_refused_slot_takes_the_saved_outcome_back(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    """The outcome is saved right before the visit is booked; if the slot is then
    refused (taken meanwhile) and the phoner leaves with Esc, the call comes back."""
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_calling(pilot)
        claim = screen.claim
        assert claim is not None
        await pilot.press("1", "3", "1", "1", "1", "enter")
        await settle(pilot)
        booking = app.screen
        assert isinstance(booking, BookingScreen)
        first = booking.slots[0]
        with demo_db.session() as s:
            called = s.get(Company, claim.company_id)
            assert called is not None
            other = s.exec(
                select(Company).where(
                    Company.jobcenter_id == called.jobcenter_id,
                    Company.id != claim.company_id,
                )
            ).first()
            assert other is not None and other.id is not None
        bk.book_visit(  # another phoner takes the slot first
            db=demo_db,
            company_id=other.id,
            consultant_id=first.consultant_id,
            start=first.start,
            booked_by="Bo",
            now=NOW,
        )
        await pilot.press("1")
        await settle(pilot)
        assert app.screen is booking and booking.attempt_id is not None  # saved, refused
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert screen.claim is not None and screen.claim.company_id == claim.company_id
        assert screen.walk is not None and screen.walk.finished
        assert screen.saved is None  # taken back
    with demo_db.session() as s:
        company = s.get(Company, claim.company_id)
        assert company is not None and company.final_outcome is None

"""Pilot tests: whole calls through the script, every outcome path, on the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from sqlmodel import select

from phoner.core.call_scripts import load_script, outcome_paths
from phoner.core.db import Database
from phoner.core.models import (
    CallState,
    Company,
    FollowUp,
    NotInterestedReason,
    Outcome,
)
from phoner.core.phones import format_phone
from phoner.core.queue.claims import LEASE
from phoner.tui.app import PhonerApp
from phoner.tui.screens.call import CallScreen
from phoner.tui.screens.call_details import ReasonDialog, RevisitDialog
from phoner.tui.screens.callback import CallbackScreen
from phoner.tui.screens.faq import FaqScreen
from phoner.tui.widgets.needs_form import NeedsForm
from phoner.tui.widgets.script_panel import ScriptPanel, script_text
from phoner.tui.widgets.status_line import StatusLine
from tests.support.calling import attempts, start_calling
from tests.support.clock import NOW, Clock
from tests.support.host import errors, notifications
from tests.support.pilot import settle

REPO = Path(__file__).resolve().parents[2]
SCRIPT = load_script(REPO / "scripts" / "fleksjob.toml")
OUTCOMES = sorted(outcome_paths(SCRIPT), key=lambda o: o.value)


def company(db: Database, company_id: int) -> Company:
    with db.session() as s:
        c = s.get(Company, company_id)
        assert c is not None
        return c


async def test_start_screen_remembers_name_and_starts_calling(
    make_app: Callable[..., PhonerApp], demo_db: Database, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # no name yet: stays on the start screen
        await settle(pilot)
        assert type(app.screen).__name__ == "StartScreen"
        await pilot.press(*"Bo Holm", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CallScreen)
        assert screen.claim is not None
        held = company(demo_db, screen.claim.company_id)
        assert held.lease_holder == "Bo Holm"
    # the next start remembers the name: Enter alone starts calling
    app2 = make_app()
    async with app2.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        assert screen.phoner == "Bo Holm"
    assert '"Bo Holm"' in (tmp_path / "config" / "tui.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("outcome", OUTCOMES)
async def test_every_script_path_records_its_outcome(
    make_app: Callable[..., PhonerApp], demo_db: Database, outcome: Outcome
) -> None:
    """Every path through the script to ``outcome``, one company each, in one session."""
    paths = outcome_paths(SCRIPT)[outcome]
    app = make_app(phoner="Anne")
    called: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        for path in paths:
            current = screen.claim
            assert current is not None
            called.append(current.company_id)
            await pilot.press(*[key for _, key in path])
            assert screen.walk is not None and screen.walk.finished
            assert screen.walk.outcome == outcome
            await pilot.press("enter")
            await settle(pilot)
            if outcome == Outcome.RING_TILBAGE:
                assert isinstance(app.screen, CallbackScreen)
                await pilot.press("2")  # next working day, morning
                await settle(pilot)
            if outcome == Outcome.IKKE_INTERESSERET:
                assert isinstance(app.screen, ReasonDialog)
                await pilot.press("1")  # ingen opgaver
                await settle(pilot)
            if app.screen is not screen:  # the booking step: save without a visit
                assert type(app.screen).__name__ == "BookingScreen"
                await pilot.press("g")
                await settle(pilot)
            assert app.screen is screen
            assert screen.claim is not None and screen.claim.company_id != current.company_id
    done = attempts(demo_db)
    assert [a.company_id for a in done] == called
    for attempt, path in zip(done, paths, strict=True):
        assert attempt.outcome == outcome
        assert attempt.answers == dict(path)
        assert attempt.phoner == "Anne"
        assert attempt.script_hash == SCRIPT.hash
        assert attempt.started_at is not None
        c = company(demo_db, attempt.company_id)
        assert c.lease_holder is None
        if outcome == Outcome.RING_TILBAGE:
            assert c.call_state == CallState.CALLBACK
            # Wednesday 25 November 2026 9:00 in Copenhagen
            assert attempt.callback_at == dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
        else:
            assert c.call_state == CallState.DONE
            assert c.final_outcome == outcome
        if outcome == Outcome.VIL_KONTAKTES:
            # no visit was booked, so a consultant of the jobcenter must follow up
            with demo_db.session() as s:
                tasks = s.exec(select(FollowUp).where(FollowUp.attempt_id == attempt.id)).all()
            assert tasks


async def test_not_interested_takes_at_most_three_keys(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        # "Nej tak" on the first question, save, the reason (2 For lille), and next
        keys = ["3", "enter", "2"]
        assert len(keys) <= 3
        await pilot.press(*keys)
        await settle(pilot)
        assert screen.claim is not None and screen.claim.company_id != first.company_id
        assert screen.walk is not None and screen.walk.answers == {}
    [attempt] = attempts(demo_db)
    assert attempt.outcome == Outcome.IKKE_INTERESSERET
    assert (attempt.reason, attempt.reason_text) == (NotInterestedReason.FOR_LILLE, None)


@pytest.mark.parametrize(
    ("key", "outcome", "state"),
    [
        ("i", Outcome.IKKE_TRUFFET, CallState.RETRY),
        ("o", Outcome.OPTAGET, CallState.RETRY),
        ("f", Outcome.FORKERT_NUMMER, None),
        ("l", Outcome.LUKKET, CallState.DONE),
    ],
)
async def test_not_final_outcomes_are_one_key(
    make_app: Callable[..., PhonerApp],
    demo_db: Database,
    key: str,
    outcome: Outcome,
    state: CallState | None,
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        phones = company(demo_db, first.company_id).phones
        await pilot.press("1")  # even mid-script
        await pilot.press(key)
        await settle(pilot)
        assert screen.claim is not None
        assert outcome.label in screen.query_one(StatusLine).last
        if key == "f" and len(phones) > 1:
            # wrong number with another number on the card: call that one right away
            assert screen.claim.company_id == first.company_id
            assert "(forkert nummer)" in str(screen.query_one("#card-body").render())
        else:
            assert screen.claim.company_id != first.company_id
    [attempt] = attempts(demo_db)
    assert attempt.outcome == outcome
    assert attempt.answers == {"rette_person": "1"}
    called = company(demo_db, first.company_id)
    if state is None:
        state = CallState.RETRY if len(phones) > 1 else CallState.DONE
    assert called.call_state == state


async def test_callback_becomes_due_and_comes_back_to_the_phoner(
    make_app: Callable[..., PhonerApp], demo_db: Database, clock: Clock
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, CallbackScreen)
        await pilot.press("1")  # in an hour
        await settle(pilot)
        assert app.screen is screen
        [attempt] = attempts(demo_db)
        assert attempt.outcome == Outcome.RING_TILBAGE
        assert attempt.callback_at == NOW + dt.timedelta(hours=1)
        second = screen.claim
        assert second is not None and second.company_id != first.company_id
        # an hour later the agreed call-back is first in the queue
        clock.advance(minutes=61)
        await pilot.press("s")
        await settle(pilot)
        assert screen.claim is not None
        assert screen.claim.company_id == first.company_id
        assert screen.claim.reason == "callback"
        body = str(screen.query_one("#card-body").render())
        assert "Aftalt tilbagekald" in body
        assert company(demo_db, second.company_id).lease_holder is None


async def test_callback_picker_accepts_typed_time_and_refuses_the_past(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_calling(pilot)
        await pilot.press("r")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, CallbackScreen)
        await pilot.press("tab", *"8:15", "enter")  # 8:15 today has passed (it is 10:00)
        await settle(pilot)
        assert app.screen is picker
        assert "passeret" in str(picker.query_one("#callback-error").render())
        await pilot.press(*["backspace"] * 4, *"25-11 14:30", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CallScreen)
    [attempt] = attempts(demo_db)
    assert attempt.callback_at == dt.datetime(2026, 11, 25, 13, 30, tzinfo=dt.UTC)


async def test_retry_comes_back_when_due(
    make_app: Callable[..., PhonerApp], demo_db: Database, clock: Clock
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        await pilot.press("i")
        await settle(pilot)
        clock.advance(minutes=121)  # ikke_truffet retries after 120 minutes
        await pilot.press("s")
        await settle(pilot)
        assert screen.claim is not None and screen.claim.company_id == first.company_id
        assert screen.claim.reason == "retry"
        assert "Genopkald (forsøg 2)" in str(screen.query_one("#card-body").render())
        assert "Ikke truffet (Anne)" in str(screen.query_one("#card-body").render())


async def test_undo_brings_the_company_back_with_its_answers(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        await pilot.press("1", "b")
        form = screen.query_one(NeedsForm)
        assert screen.focused is not None
        await pilot.press(*"Pedel", "escape")
        form.set_note("Ring efter kl. 12")
        await pilot.press("o")
        await settle(pilot)
        second = screen.claim
        assert second is not None and second.company_id != first.company_id
        assert len(attempts(demo_db)) == 1
        subtitle = screen.query_one(StatusLine).last
        assert subtitle.startswith("Sidst: Optaget ·") and "(u fortryder)" in subtitle
        await pilot.press("u")
        await settle(pilot)
        assert screen.claim is not None and screen.claim.company_id == first.company_id
        assert screen.walk is not None and screen.walk.answers == {"rette_person": "1"}
        assert form.values()["jobtype"] == "Pedel"
        assert form.note() == "Ring efter kl. 12"
        assert "Fortrudt" in notifications(app)[-1]
        assert not screen.query_one(StatusLine).last
    assert attempts(demo_db) == []
    assert company(demo_db, first.company_id).call_state == CallState.NEW
    assert company(demo_db, first.company_id).lease_holder == "Anne"
    assert company(demo_db, second.company_id).lease_holder is None


async def test_undo_after_the_window_is_refused_in_danish(
    make_app: Callable[..., PhonerApp], demo_db: Database, clock: Clock
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await start_calling(pilot)
        await pilot.press("i")
        await settle(pilot)
        second = screen.claim
        clock.advance(minutes=10)
        await pilot.press("u")
        await settle(pilot)
        assert errors(app) and "fortrydes" in errors(app)[-1]
        assert screen.claim == second  # still working on the next company
        assert not screen.busy
    assert len(attempts(demo_db)) == 1


async def test_lost_lease_is_a_notification_not_a_crash(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await start_calling(pilot)
        claim = screen.claim
        assert claim is not None
        with demo_db.session(write=True) as s:  # the lease expired and someone took it
            c = s.get(Company, claim.company_id)
            assert c is not None
            c.lease_holder, c.lease_token = "Bo", "someone-else"
            s.add(c)
        await pilot.press("l")
        await settle(pilot)
        assert errors(app) and "Du har ikke længere" in errors(app)[-1]
        assert app.screen is screen and not screen.busy
        await pilot.press("s")  # the way on: skip to the next company
        await settle(pilot)
        assert screen.claim is not None and screen.claim.company_id != claim.company_id
    assert attempts(demo_db) == []


async def test_needs_and_note_are_saved_with_the_outcome(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_calling(pilot)
        await pilot.press("1", "3", "1", "1", "2")  # the consultant should call first
        await pilot.press("b")
        await pilot.press(*"Rengøring", "enter")  # jobtype, Enter moves on
        assert screen._typing()
        await pilot.press("i")  # typing, not an outcome
        form = screen.query_one(NeedsForm)
        form.fill({"timer_pr_uge": 8, "uddannelse": "Ufaglært"})
        form.set_note("Kontakt Lis efter 1. december")
        await pilot.press("escape", "enter")
        await settle(pilot)
    [attempt] = attempts(demo_db)
    assert attempt.outcome == Outcome.VIL_KONTAKTES
    assert attempt.needs["timer_pr_uge"] == 8
    assert attempt.needs["uddannelse"] == "Ufaglært"
    # the "i" typed in the form was not taken as "ikke truffet": one attempt only
    assert attempt.needs["jobtype"] == "Rengøring"
    assert attempt.note == "Kontakt Lis efter 1. december"


async def test_note_key_then_enter_saves_the_reason(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        # the note is several lines (Enter is a new line); Esc goes back to the call
        await pilot.press("3", "n", *"Har ikke tid", "escape")
        assert not screen._typing()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("1")  # the reason: ingen opgaver
        await settle(pilot)
    [attempt] = attempts(demo_db)
    assert attempt.outcome == Outcome.IKKE_INTERESSERET
    assert attempt.note == "Har ikke tid"


async def test_wide_terminal_shows_script_and_needs_side_by_side(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await start_calling(pilot)
        panel, form = screen.query_one(ScriptPanel), screen.query_one(NeedsForm)
        assert panel.display and form.display
        assert panel.region.right <= form.region.x  # side by side
        await pilot.press("1", "b", *"Kantine", "escape", "3")
        assert panel.display and form.display
        assert screen.walk is not None
        assert screen.walk.answers == {"rette_person": "1", "kontakt": "3"}
        assert form.values() == {"jobtype": "Kantine"}
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert panel.display and not form.display
        await pilot.press("b")
        await pilot.pause()
        assert form.display and not panel.display


async def test_back_key_changes_an_answer(make_app: Callable[..., PhonerApp]) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        await pilot.press("1", "2")
        assert screen.walk is not None and screen.walk.finished
        await pilot.press("backspace", "3")
        assert screen.walk.answers == {"rette_person": "1", "kontakt": "3"}
        assert not screen.walk.finished
        await pilot.press("7")  # not an answer here: ignored
        assert screen.walk.answers == {"rette_person": "1", "kontakt": "3"}


async def test_faq_opens_with_one_key_and_searches(make_app: Callable[..., PhonerApp]) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        await pilot.press("h")
        faq = app.screen
        assert isinstance(faq, FaqScreen)
        assert len(faq.matches) == len(SCRIPT.faq)
        await pilot.press(*"bøvl")
        assert [e.id for e in faq.matches] == ["for_bøvlet"]
        assert "papirarbejdet" in str(faq.query_one("#faq-answer").render())
        await pilot.press(*"xyz")
        assert faq.matches == []
        assert "Ingen svar" in str(faq.query_one("#faq-answer").render())
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("?")
        assert isinstance(app.screen, FaqScreen)


async def test_quit_releases_the_company(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        claim = screen.claim
        assert claim is not None
        await pilot.press("q")
        await pilot.pause()
    assert company(demo_db, claim.company_id).lease_holder is None


async def test_lease_is_renewed_while_the_phoner_works(
    make_app: Callable[..., PhonerApp], demo_db: Database, clock: Clock
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        claim = screen.claim
        assert claim is not None
        clock.advance(seconds=15)  # one heartbeat later
        screen.renew_now()
        await settle(pilot)
        expected = NOW + dt.timedelta(seconds=15) + LEASE
        assert company(demo_db, claim.company_id).lease_expires_at == expected
        assert screen.lease_expires_at == expected


async def test_outside_calling_hours_says_why_and_can_call_anyway(
    make_app: Callable[..., PhonerApp], clock: Clock
) -> None:
    clock.now = dt.datetime(2026, 11, 24, 18, 0, tzinfo=dt.UTC)  # 19:00 in Copenhagen
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CallScreen)
        assert screen.claim is None
        assert "Ringetiden" in str(screen.query_one("#script-body").render())
        await pilot.press("a")
        await settle(pilot)
        assert screen.claim is not None


async def test_status_line_counts_calls_and_answered(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await start_calling(pilot)
        status = screen.query_one("#status")
        text = str(status.render())
        assert "Anne · Runde 1 · Demo: Fleksjob efterår 2026" in text
        assert "I dag 0 opkald · 0 besvaret · 120 tilbage" in text
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("3", "enter")
        await settle(pilot)
        await pilot.press("1")  # the reason: ingen opgaver
        await settle(pilot)
        text = str(status.render())
        assert "I dag 2 opkald · 1 besvaret · 119 tilbage" in text


async def test_call_view_fits_80x24(make_app: Callable[..., PhonerApp]) -> None:
    app = make_app(phoner="Anne Kirstine Østergaard")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        for selector in ("#status", "#card", "#script-panel", "#keys"):
            region = screen.query_one(selector).region
            assert region.width > 0 and region.height > 0, selector
            assert region.right <= 80 and region.bottom <= 24, selector
        # the opening, the first question and every answer are visible without scrolling
        panel = screen.query_one(ScriptPanel)
        assert screen.walk is not None
        lines = _wrapped_lines(script_text(screen.walk), panel.content_size.width)
        last_answer = screen.walk.script.first.answers[-1].text[:20]
        row = next(i for i, line in enumerate(lines) if last_answer in line)
        assert row < panel.content_size.height
        keys = str(screen.query_one("#keys").render())
        assert all(len(line) <= 78 for line in keys.splitlines())
        status = str(screen.query_one("#status").render())
        assert all(len(line) <= 78 for line in status.splitlines()) and "tilbage" in status
        assert "Demo: Fleks" in status  # the campaign name gives way, but not all of it
        assert status.startswith("Anne Kirstine Østergaard · Runde 1")


def _wrapped_lines(text: Text, width: int) -> list[str]:
    console = Console(width=width, color_system=None, legacy_windows=False)
    with console.capture() as cap:
        console.print(text)
    return cap.get().splitlines()


async def test_call_list_is_reachable_from_the_call_view(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert type(app.screen).__name__ == "CallListScreen"
        table = app.screen.query_one("#call-list")
        assert table.row_count == 120  # round 1
        await pilot.press("escape")
        assert app.screen is screen


async def test_script_placeholders_are_filled_for_the_company_on_screen(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    """`[dit navn]` and `[jobcentrets navn]` in the opening become the phoner and jobcenter."""
    assert "[dit navn]" in SCRIPT.opening and "[jobcentrets navn]" in SCRIPT.opening
    app = make_app(phoner="Anne Hansen")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_calling(pilot)
        assert screen.card is not None and screen.card.jobcenter_name
        text = " ".join(str(screen.query_one("#script-body").render()).split())
        assert "mit navn er Anne Hansen" in text
        assert f"på vegne af {screen.card.jobcenter_name}" in text
        assert "[dit navn]" not in text and "[jobcentrets navn]" not in text
        first = screen.card.company.id
        await pilot.press("i")  # ikke truffet: the next company, its own jobcenter
        await settle(pilot)
        assert screen.card is not None and screen.card.company.id != first
        text = " ".join(str(screen.query_one("#script-body").render()).split())
        assert f"på vegne af {screen.card.jobcenter_name}" in text


async def test_other_reason_takes_words_and_esc_returns_to_the_call_as_it_was(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        await pilot.press("n")  # a note typed during the call
        await settle(pilot)
        await pilot.press(*"ringer selv", "escape")
        await settle(pilot)
        await pilot.press("3", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press("escape")  # back to the call: nothing saved, nothing lost
        await settle(pilot)
        assert app.screen is screen and screen.claim == first
        assert screen.walk is not None and screen.walk.finished
        assert screen.query_one(NeedsForm).note() == "ringer selv"
        assert attempts(demo_db) == []
        await pilot.press("enter", "5")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press("enter")  # Andet needs words: refused, the dialog stays
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press(*"Har eget vikarbureau", "enter")
        await settle(pilot)
        assert app.screen is screen and screen.claim is not None
        assert screen.claim.company_id != first.company_id
    [attempt] = attempts(demo_db)
    assert (attempt.outcome, attempt.reason, attempt.reason_text, attempt.note) == (
        Outcome.IKKE_INTERESSERET,
        NotInterestedReason.ANDET,
        "Har eget vikarbureau",
        "ringer selv",
    )


async def test_not_now_but_later_asks_when_and_brings_the_company_back_then(
    make_app: Callable[..., PhonerApp], demo_db: Database, clock: Clock
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, RevisitDialog)
        await pilot.press("escape")  # back to the call, nothing saved
        await settle(pilot)
        assert app.screen is screen and screen.claim == first and attempts(demo_db) == []
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("tab")  # as in the call-back picker: Tab, then the date
        await settle(pilot)
        await pilot.press(*"1-9-2027", "enter")
        await settle(pilot)
        assert app.screen is screen and screen.claim is not None
        assert screen.claim.company_id != first.company_id
        assert any("kommer tilbage på ringelisten" in n for n in notifications(app))
    [attempt] = attempts(demo_db)
    assert (attempt.outcome, attempt.revisit_on) == (Outcome.IKKE_NU, dt.date(2027, 9, 1))
    c = company(demo_db, first.company_id)
    assert c.call_state == CallState.CALLBACK and c.callback_phoner is None
    # Wednesday 25 August 2027, 09:00 in Copenhagen: five working days before
    assert c.next_call_at == dt.datetime(2027, 8, 25, 7, 0, tzinfo=dt.UTC)


async def test_p_corrects_the_number_during_the_call_and_keeps_what_was_typed(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    from phoner.tui.screens.call_details import ContactDialog
    from phoner.tui.widgets.company_card import card_text

    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        assert screen.card is not None and screen.claim is not None
        old = screen.card.company.phones[0]
        await pilot.press("1")  # an answer typed before the correction
        await pilot.press("p")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ContactDialog)
        await pilot.press(*"12 34", "ctrl+s")  # typing replaces the number: refused
        await settle(pilot)
        assert app.screen is dialog
        error = str(dialog.query_one("#contact-error").render())
        assert "ikke et gyldigt telefonnummer" in error
        await pilot.press("ctrl+u", *"40 12 34 56", "enter", "ctrl+u", *"Lis Holm", "enter")
        await pilot.press("enter")  # Enter in the last field saves
        await settle(pilot)
        assert app.screen is screen
        assert screen.card.company.phones[0] == "+4540123456"
        assert screen.card.company.contact_person == "Lis Holm"
        shown = card_text(screen.card).plain
        assert "40 12 34 56" in shown and "Lis Holm" in shown
        assert "Før rettelsen" in shown and format_phone(old) in shown  # the old number
        assert screen.walk is not None and len(screen.walk.answers) == 1  # nothing lost
    row = company(demo_db, screen.claim.company_id)
    assert row.phones[0] == "+4540123456" and row.contact_person == "Lis Holm"


async def test_a_not_now_company_comes_back_with_what_it_said(
    make_app: Callable[..., PhonerApp], demo_db: Database, clock: Clock
) -> None:
    """Back on the list before the revisit day: the card says what the company said."""
    from phoner.tui.widgets.company_card import card_text

    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        await pilot.press("e", "2")  # in three months: 24.02.2027
        await settle(pilot)
        back = company(demo_db, first.company_id).next_call_at
        assert back is not None
        assert back == dt.datetime(2027, 2, 17, 8, 0, tzinfo=dt.UTC)  # 5 working days before
        clock.now = back + dt.timedelta(hours=1)
        await pilot.press("s")  # the next company: the due revisit comes first
        await settle(pilot)
        assert screen.claim is not None and screen.claim.company_id == first.company_id
        assert screen.card is not None
        banner = screen._banner()
        assert banner is not None and "ikke nu, men senere" in banner and "Anne" in banner
        assert "24.02.2027" in banner
        assert "Vend tilbage før ons 24.02.2027" in card_text(screen.card).plain

"""The app around the call view: start screen, call list, languages, colours, wiring."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import col, select

from phoner.core.clock import TZ
from phoner.core.db import Database
from phoner.core.demo import DEMO_CAMPAIGN
from phoner.core.models import Booking, CallAttempt, Company, Outcome
from phoner.core.phones import format_phone
from phoner.tui import i18n
from phoner.tui.app import PhonerApp
from phoner.tui.screens.call import CallScreen
from phoner.tui.screens.callback import next_working_day, parse_when, presets
from phoner.tui.widgets.status_line import StatusLine
from tests.support.calling import attempts, start_calling
from tests.support.clock import NOW
from tests.support.host import errors
from tests.support.pilot import settle

DANISH_PHONE = re.compile(r"^\d{2} \d{2} \d{2} \d{2}$")


async def test_demo_shows_the_campaign_and_its_companies(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    """Issue 2: `phoner demo` shows the demo campaign's companies: name, CVR, phone."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        title = str(app.screen.query_one("#list-title").render())
        assert DEMO_CAMPAIGN in title and "240 virksomheder" in title
        table = app.screen.query_one("#preview")
        assert table.row_count == 240
        with demo_db.session() as s:
            first = s.exec(select(Company).order_by(col(Company.name), col(Company.id))).first()
        assert first is not None and first.cvr is not None
        row = table.get_row_at(0)  # type: ignore[attr-defined]
        assert str(row[0]) == first.name
        assert row[1] == first.cvr
        assert row[2] == format_phone(first.phones[0])
        assert DANISH_PHONE.match(row[2])
        assert str(row[3]) == "Ikke ringet"


async def test_call_list_search_narrows_in_the_database(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    with demo_db.session() as s:
        target = s.exec(select(Company).order_by(col(Company.id).desc())).first()
    assert target is not None and target.cvr
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "CallListScreen"
        table = screen.query_one("#call-list")
        assert table.row_count == 240
        await pilot.press("ctrl+f", *target.cvr)
        await settle(pilot)
        assert table.row_count == 1
        assert table.get_row_at(0)[1] == target.cvr  # type: ignore[attr-defined]
        phone = format_phone(target.phones[0])
        screen.query_one("#list-search").value = phone  # type: ignore[attr-defined]
        await settle(pilot)
        assert table.row_count >= 1
        assert any(
            table.get_row_at(i)[2] == phone  # type: ignore[attr-defined]
            for i in range(table.row_count)
        )
        await pilot.press("escape", "escape")
        assert type(app.screen).__name__ == "StartScreen"


async def test_english_with_phoner_lang_en(make_app: Callable[..., PhonerApp]) -> None:
    app = make_app(lang="en", phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Welcome to phoner" in str(app.screen.query_one("#start-title").render())
        assert "companies" in str(app.screen.query_one("#list-title").render())
        screen = await start_calling(pilot)
        keys = str(screen.query_one("#keys").render())
        assert "i No answer" in keys and "q Quit" in keys
        assert "Today 0 calls" in str(screen.query_one("#status").render())
        await pilot.press("i")
        await settle(pilot)
        assert screen.query_one(StatusLine).last.startswith("Last: No answer")
    i18n.set_language("da")


def test_phoner_lang_reaches_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from phoner.config import load_settings

    monkeypatch.setenv("PHONER_LANG", "en")
    assert load_settings().lang == "en"
    monkeypatch.setenv("PHONER_LANG", "da_DK.UTF-8")
    assert load_settings().lang == "da"


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    assert set(i18n.DA) == set(i18n.EN)
    field = re.compile(r"\{(\w+)")
    for key, text in i18n.DA.items():
        assert set(field.findall(text)) == set(field.findall(i18n.EN[key])), key
    assert set(i18n.OUTCOME_EN) == set(Outcome)


async def test_no_color_is_respected(
    make_app: Callable[..., PhonerApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(phoner="Anne")
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        # the primary number and the answer keys are marked with text, not only colour
        card = str(screen.query_one("#card-body").render())
        assert "(primær)" in card
        assert " 1  " in str(screen.query_one("#script-body").render())


async def test_visit_is_booked_during_the_call(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        await pilot.press("1", "3", "1", "1", "1", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "BookingScreen"
        await pilot.press("enter")  # the first free slot
        await settle(pilot)
        assert app.screen is screen
        assert screen.claim is not None and screen.claim.company_id != first.company_id
    with demo_db.session() as s:
        attempt = s.exec(select(CallAttempt)).one()
        booking = s.exec(select(Booking)).one()
    assert attempt.outcome == Outcome.VIL_KONTAKTES
    assert booking.company_id == first.company_id
    assert booking.attempt_id == attempt.id
    assert booking.start > NOW


async def test_coordinator_screens_open_from_the_start_screen(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert type(app.screen).__name__ == "DashboardScreen"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert type(app.screen).__name__ == "BookingsScreen"


async def test_call_screen_without_campaign_script_shows_the_error(
    make_app: Callable[..., PhonerApp], demo_db: Database, tmp_path: object
) -> None:
    from phoner.core.models import Campaign

    with demo_db.session(write=True) as s:
        campaign = s.exec(select(Campaign)).one()
        campaign.script_path = "/nonexistent/fleksjob.toml"
        s.add(campaign)
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CallScreen)
        assert errors(app) and "findes ikke" in errors(app)[-1]
        assert "Traceback" not in errors(app)[-1]


# --------------------------------------------------------------------------- call-back times

NOW_LOCAL = NOW.astimezone(TZ)  # Tuesday 24 November 2026 10:00


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("14:15", (2026, 11, 24, 14, 15)),
        ("14.15", (2026, 11, 24, 14, 15)),
        ("kl. 14", (2026, 11, 24, 14, 0)),
        ("i morgen 10", (2026, 11, 25, 10, 0)),
        ("imorgen 9.30", (2026, 11, 25, 9, 30)),
        ("25-11 10:30", (2026, 11, 25, 10, 30)),
        ("25.11.2026 10.30", (2026, 11, 25, 10, 30)),
        ("25/11 8", (2026, 11, 25, 8, 0)),
        ("2026-12-01 13:00", (2026, 12, 1, 13, 0)),
        ("05-01 10:00", (2027, 1, 5, 10, 0)),  # a date already passed this year: next year
    ],
)
def test_parse_when(text: str, local: tuple[int, ...]) -> None:
    expected = dt.datetime(*local, tzinfo=TZ).astimezone(dt.UTC)
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "25:00", "31-02 10:00", "i overmorgen", "10:75", "abc"])
def test_parse_when_refuses_nonsense(text: str) -> None:
    assert parse_when(text, NOW) is None


def test_presets_skip_weekends_and_holidays() -> None:
    friday = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    assert next_working_day(friday.date()) == dt.date(2026, 11, 30)
    assert next_working_day(dt.date(2026, 12, 23)) == dt.date(2026, 12, 28)  # Christmas
    choices = [when for _, when in presets(friday)]
    assert choices[0] == friday + dt.timedelta(hours=1)
    assert choices[1].astimezone(TZ).date() == dt.date(2026, 11, 30)
    assert all(when > friday for when in choices)


async def test_empty_database_says_how_to_start(
    sqlite_db: Database, workspace: object, tmp_path: object
) -> None:
    from pathlib import Path

    from phoner.config import Settings
    from phoner.tui.app import create_app

    assert isinstance(tmp_path, Path) and isinstance(workspace, Path)
    app = create_app(
        db=sqlite_db,
        settings=Settings(workspace=workspace, db_url="sqlite://"),
        config_dir=tmp_path / "config",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"Anne", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "StartScreen"
        assert "phoner campaign create" in str(app.screen.query_one("#list-title").render())


async def test_command_palette_offers_clearing_per_jobcenter(
    make_app: Callable[..., PhonerApp],
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Overblik" in commands and "Opfølgning" in commands
        clearing = commands["Clearing: Jobcenter Køge"]
        clearing.callback()
        await settle(pilot)
        assert type(app.screen).__name__ == "ClearingScreen"
        assert app.screen.jobcenter_id is not None  # type: ignore[attr-defined]


async def test_a_lost_terminal_quits_and_releases_the_company(
    make_app: Callable[..., PhonerApp], demo_db: Database, tmp_path: Path
) -> None:
    """A closed terminal window must not leave phoner spinning with a company leased."""
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        with demo_db.session() as s:
            held = s.exec(select(Company).where(Company.lease_holder == "Anne")).all()
        assert len(held) == 1
        with (tmp_path / "not-a-tty").open("w") as fh:
            assert app.check_terminal(fh.fileno()) is False
        await settle(pilot)
    assert app.return_code == 129
    with demo_db.session() as s:
        assert s.exec(select(Company).where(Company.lease_holder == "Anne")).all() == []


async def test_unexpected_error_is_a_danish_message_and_a_log_file(
    make_app: Callable[..., PhonerApp],
    demo_db: Database,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A bug while saving shows a Danish sentence naming a log file; the app keeps running."""
    from phoner.core.queue import outcomes

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    def broken(**_: object) -> None:
        raise RuntimeError("simulated bug in record_outcome")

    monkeypatch.setattr(outcomes, "record_outcome", broken)
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_calling(pilot)
        held = screen.claim
        await pilot.press("i")
        await settle(pilot)
        assert len(errors(app)) == 1
        message = errors(app)[0]
        assert message.startswith("Der skete en uventet fejl; intet halvt er gemt.")
        log = Path(message.rsplit("Detaljer: ", 1)[1])
        assert log.parent == tmp_path and log.name.startswith("phoner-fejl-")
        assert "simulated bug in record_outcome" in log.read_text(encoding="utf-8")
        assert "Traceback" in log.read_text(encoding="utf-8")
        assert app.is_running and app.screen is screen
        assert screen.claim == held  # the company is still this phoner's
    assert attempts(demo_db) == []


async def test_file_system_refusal_is_a_danish_message_without_crash_log(
    make_app: Callable[..., PhonerApp], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from phoner.core.queue import outcomes

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    def refused(**_: object) -> None:
        raise PermissionError(13, "Permission denied", "/srv/phoner/phoner.db-wal")

    monkeypatch.setattr(outcomes, "record_outcome", refused)
    app = make_app(phoner="Anne")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_calling(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert errors(app) == [
            "Filen eller mappen /srv/phoner/phoner.db-wal kan ikke bruges: adgang nægtet.\n"
            "Ret stien eller rettighederne, eller frigør plads, og prøv igen."
        ]
    assert not list(tmp_path.glob("phoner-fejl-*.log"))

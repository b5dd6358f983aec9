"""The clearing screen: filter by proposal, keep/remove with a reason, sign off."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from textual.widgets import DataTable, Input, Select, Static

from phoner.core import blocks
from phoner.core.db import Database
from phoner.core.models import AuditLog, CampaignJobcenter, ClearingState, Company
from phoner.tui.screens.clearing import ClearingScreen
from tests.support.host import ScreenHost, errors, notifications
from tests.support.pilot import settle
from tests.support.worlds import clearing_world


async def test_clearing_screen_review_and_sign_off(sqlite_db: Database, tmp_path: Path) -> None:
    campaign_id, jobcenter_id = clearing_world(sqlite_db, tmp_path)
    screen = ClearingScreen(campaign_id=campaign_id, jobcenter_id=jobcenter_id)
    app = ScreenHost(lambda: screen, db=sqlite_db, actor="Karen")
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one("#cl-table", DataTable)
        assert table.row_count == 3
        # filter: only the companies proposed for removal as reklamebeskyttet
        screen.query_one("#cl-filter", Select).value = "reklamebeskyttet"
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [c.name for c in screen.companies] == ["Beta ApS"]
        # sign-off is refused while a proposal is unreviewed
        await pilot.press("g")
        await pilot.click("#yes")
        await settle(pilot)
        with sqlite_db.session() as s:
            assert s.exec(select(CampaignJobcenter)).one().signed_off_at is None
        # the refusal says what to do in the TUI, not which CLI flag to use
        refusal = errors(app)[-1]
        assert "ikke gennemgået" in refusal and "(G)" in refusal and "--force" not in refusal
        # remove Beta with the proposed reason
        await pilot.press("f")
        await pilot.pause()
        assert (
            app.screen.query_one("#dialog-input", Input).value == "Reklamebeskyttet i CVR-registret"
        )
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        # back to all, keep Alfa
        screen.query_one("#cl-filter", Select).value = "alle"
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [c.name for c in screen.companies] == ["Alfa ApS", "Beta ApS", "Gamma ApS"]
        table.move_cursor(row=0)
        await pilot.press("b")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("g")
        await pilot.click("#yes")
        await pilot.pause()
        await app.workers.wait_for_complete()
    with sqlite_db.session() as s:
        states = {c.name: c.clearing_state for c in s.exec(select(Company)).all()}
        assert states == {
            "Alfa ApS": ClearingState.KEEP,
            "Beta ApS": ClearingState.REMOVE,
            "Gamma ApS": ClearingState.KEEP,
        }
        cj = s.exec(select(CampaignJobcenter)).one()
        assert cj.signed_off_by == "Karen" and not cj.forced
        actions = [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id)).all()]
        # two decisions made on screen, then the sign-off (which also turns the
        # unreviewed Gamma into "keep", audited automatically as an update)
        assert actions[2:5] == ["clearing_decision", "clearing_decision", "list_sign_off"]


async def test_signing_off_twice_says_what_to_do_in_the_tui(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """Core's AlreadySignedOff carries no CLI advice; the TUI words its own (no flags)."""
    campaign_id, jobcenter_id = clearing_world(sqlite_db, tmp_path)
    screen = ClearingScreen(campaign_id=campaign_id, jobcenter_id=jobcenter_id)
    app = ScreenHost(lambda: screen, db=sqlite_db, actor="Karen")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("G")  # by force: Beta's proposal is unreviewed
        await pilot.click("#yes")
        await settle(pilot)
        assert errors(app) == []
        await pilot.press("g")
        await pilot.click("#yes")
        await settle(pilot)
        refusal = errors(app)[-1]
        assert "har allerede godkendt sin liste" in refusal
        assert "koordinerer kampagnen" in refusal
        assert "--" not in refusal and "phoner list" not in refusal
        # a decision on the signed-off list: the same refusal, the same TUI advice
        await pilot.press("b")
        await settle(pilot)
        refusal = errors(app)[-1]
        assert "kan ikke ændres" in refusal and "--" not in refusal
        assert app.is_running


async def test_a_blocked_company_is_marked_and_does_not_hold_up_the_sign_off(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """Beta is proposed for removal but on the do-not-call register: the screen says so,
    and the list is signed off without reviewing it (it is never called)."""
    campaign_id, jobcenter_id = clearing_world(sqlite_db, tmp_path)
    with sqlite_db.session(write=True) as s:
        blocks.add_block(session=s, actor="K", phone="33 12 34 57")
    screen = ClearingScreen(campaign_id=campaign_id, jobcenter_id=jobcenter_id)
    app = ScreenHost(lambda: screen, db=sqlite_db, actor="Karen")
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one("#cl-table", DataTable)
        beta = [str(cell) for cell in table.get_row_at(1)]
        assert beta[1] == "Beta ApS" and "Spærret (frabeder sig henvendelser)" in beta
        status = screen.query_one("#cl-status", Static)
        assert str(status.render()) == "Ikke godkendt · 2 ringes op, 0 fjernes, 1 spærret"
        # keeping Beta does not make it one to call: it is still counted as blocked
        table.move_cursor(row=1)
        await pilot.press("b")
        await settle(pilot)
        assert str(status.render()) == "Ikke godkendt · 2 ringes op, 0 fjernes, 1 spærret"
        await pilot.press("g")
        await pilot.click("#yes")
        await settle(pilot)
        assert any("2 beholdes, 0 fjernes, 1 spærret" in n for n in notifications(app))
    with sqlite_db.session() as s:
        cj = s.exec(select(CampaignJobcenter)).one()
        assert cj.signed_off_by == "Karen" and not cj.forced
        beta_row = s.exec(select(Company).where(Company.name == "Beta ApS")).one()
        assert beta_row.blocked_id is not None  # the sign-off leaves the block alone


async def test_a_company_outside_the_target_group_is_not_counted_as_one_to_call(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """Gamma is outside the target group: `phoner list status` and the sign-off count it
    for itself, and so does the screen's status line (it used to say "2 ringes op")."""
    campaign_id, jobcenter_id = clearing_world(sqlite_db, tmp_path)
    with sqlite_db.session(write=True) as s:
        gamma = s.exec(select(Company).where(Company.name == "Gamma ApS")).one()
        gamma.out_of_target = "under 5 ansatte"
        s.add(gamma)
    screen = ClearingScreen(campaign_id=campaign_id, jobcenter_id=jobcenter_id)
    app = ScreenHost(lambda: screen, db=sqlite_db, actor="Karen")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        status = screen.query_one("#cl-status", Static)
        expected = "Ikke godkendt · 1 ringes op, 1 fjernes, 1 uden for målgruppen"
        assert str(status.render()) == expected

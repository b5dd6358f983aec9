"""The clearing screen: filter by proposal, keep/remove with a reason, sign off."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from textual.app import App
from textual.widgets import DataTable, Input, Select

from phoner.core import campaigns, jobcenters
from phoner.core.db import Database
from phoner.core.lists import importer
from phoner.core.models import AuditLog, CampaignJobcenter, ClearingState, Company
from phoner.tui.screens.clearing import ClearingScreen

REPO = Path(__file__).resolve().parents[2]
A, B, C = "12345674", "23456788", "34567891"


class _Host(App[None]):
    def __init__(self, screen: ClearingScreen) -> None:
        super().__init__()
        self._screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._screen)


def _setup(db: Database, tmp_path: Path) -> tuple[int, int]:
    path = tmp_path / "l.csv"
    path.write_text(
        "Navn;CVR;Telefon;Kommune;Reklamebeskyttet\n"
        f"Alfa ApS;{A};33 12 34 56;Køge;\n"
        f"Beta ApS;{B};33 12 34 57;Køge;ja\n"
        f"Gamma ApS;{C};33 12 34 58;Køge;\n",
        encoding="utf-8",
    )
    with db.session(write=True) as s:
        camp = campaigns.create_campaign(
            session=s, name="K", script=REPO / "scripts" / "fleksjob.toml"
        )
        importer.import_list(session=s, campaign=camp, path=path)
        jc = jobcenters.find_jobcenter(session=s, text="Køge", create=False)
        assert camp.id is not None and jc.id is not None
        return camp.id, jc.id


async def test_clearing_screen_review_and_sign_off(sqlite_db: Database, tmp_path: Path) -> None:
    campaign_id, jobcenter_id = _setup(sqlite_db, tmp_path)
    screen = ClearingScreen(
        db=sqlite_db, campaign_id=campaign_id, jobcenter_id=jobcenter_id, actor="Karen"
    )
    app = _Host(screen)
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
        await pilot.pause()
        with sqlite_db.session() as s:
            assert s.exec(select(CampaignJobcenter)).one().signed_off_at is None
        # remove Beta with the proposed reason
        await pilot.press("f")
        await pilot.pause()
        assert app.screen.query_one("#reason", Input).value == "Reklamebeskyttet i CVR-registret"
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

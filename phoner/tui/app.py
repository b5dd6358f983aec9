"""The phoner Textual app and the one factory that builds it (CLI and tests alike)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, select
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from phoner.config import Settings
from phoner.core import campaigns
from phoner.core.db import Database
from phoner.core.errors import PhonerError
from phoner.core.models import Campaign, Company
from phoner.core.phones import format_phone


class PhonerApp(App[None]):
    """The phoner's terminal app."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "phoner"
    BINDINGS = [Binding("q", "quit", "Afslut")]

    def __init__(self, *, db: Database, settings: Settings, campaign: str | None = None) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.campaign_name = campaign

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="campaign-title")
        yield DataTable(id="companies", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#companies", DataTable)
        table.add_columns("Virksomhed", "CVR", "Telefon", "Kommune", "Ansatte")
        try:
            campaign, companies = self._load()
        except PhonerError as exc:
            self.notify(exc.message, severity="error", timeout=10)
            return
        title = self.query_one("#campaign-title", Static)
        if campaign is None:
            title.update("Ingen kampagner endnu. Opret en med: phoner campaign create")
            return
        self.sub_title = campaign.name
        title.update(f"Kampagne: {campaign.name}  ·  {len(companies)} virksomheder")
        for c in companies:
            table.add_row(
                c.name,
                c.cvr or "–",
                format_phone(c.phones[0]) if c.phones else "–",
                c.municipality or "–",
                str(c.employees) if c.employees is not None else "–",
                key=str(c.id),
            )

    def _load(self) -> tuple[Campaign | None, list[Company]]:
        with self.db.session() as session:
            if self.campaign_name:
                campaign: Campaign | None = campaigns.get_campaign(
                    session=session, name=self.campaign_name
                )
            else:
                rows = campaigns.list_campaigns(session=session)
                campaign = rows[-1][0] if rows else None
            if campaign is None:
                return None, []
            companies = session.exec(
                select(Company)
                .where(Company.campaign_id == campaign.id)
                .order_by(col(Company.name))
            ).all()
            return campaign, list(companies)


def create_app(*, db: Database, settings: Settings, campaign: str | None = None) -> PhonerApp:
    return PhonerApp(db=db, settings=settings, campaign=campaign)


def run_app(*, db: Database, settings: Settings, campaign: str | None = None) -> None:
    create_app(db=db, settings=settings, campaign=campaign).run()

"""The start screen: who is calling, which campaign and round, and the call list.

The name is remembered on this machine (see :class:`phoner.tui.data.Prefs`), so on a
normal morning the phoner presses Enter once and is calling.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from phoner.core.models import RoundState
from phoner.tui import data
from phoner.tui.data import CampaignInfo, CompanyRow
from phoner.tui.i18n import t
from phoner.tui.screens.base import PhonerScreen
from phoner.tui.widgets.company_table import COMPACT, CompanyTable
from phoner.tui.workers import db_worker

ALL_ROUNDS = "all"


#: The start screen's F-keys to the coordinator's screens (off until a campaign is chosen).
COORDINATOR_ACTIONS = frozenset({"dashboard", "followups", "visits", "bookings"})


class StartScreen(PhonerScreen):
    """Choose or type your name, pick campaign and round, press Enter."""

    BINDINGS = [
        Binding("ctrl+l", "call_list", "bind.list"),
        Binding("f5", "start", "start.start_key"),
        Binding("f2", "dashboard", "bind.dashboard"),
        Binding("f3", "followups", "bind.followups"),
        Binding("f4", "visits", "bind.visits"),
        Binding("f6", "bookings", "bind.bookings"),
        Binding("escape", "focus_name", show=False),
    ]

    class Loaded(Message):
        def __init__(self, campaigns: list[CampaignInfo], known: list[str]) -> None:
            self.campaigns = campaigns
            self.known = known
            super().__init__()

    class ListLoaded(Message):
        def __init__(self, campaign: CampaignInfo, rows: list[CompanyRow], total: int) -> None:
            self.campaign = campaign
            self.rows = rows
            self.total = total
            super().__init__()

    def __init__(self, *, campaign: str | None = None, phoner: str | None = None) -> None:
        super().__init__()
        self.wanted_campaign = campaign
        self.wanted_phoner = phoner
        self.campaigns: list[CampaignInfo] = []
        self.campaign: CampaignInfo | None = None
        self.loaded = False
        self.start_pending = False  # Enter pressed before the campaigns were read

    def compose(self) -> ComposeResult:
        with Vertical(id="start-form"):
            yield Static(t("start.title"), id="start-title")
            with Horizontal(classes="field", id="name-field"):
                yield Label(t("start.name"), classes="field-label")
                yield Input(placeholder=t("start.name_placeholder"), id="name")
            with Horizontal(classes="field"):
                yield Label(t("start.campaign"), classes="field-label")
                yield OptionList(id="campaigns")
            with Horizontal(classes="field"):
                yield Label(t("start.round"), classes="field-label")
                yield OptionList(id="rounds")
            yield Static(t("start.hint"), id="start-hint")
        yield Static("", id="list-title")
        yield CompanyTable(id="preview", columns=COMPACT)
        # every F-key fits in 80 columns (Ctrl+P opens the palette all the same)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        name = self.wanted_phoner or self.phoner_app.prefs.phoner
        field = self.query_one("#name", Input)
        field.value = name
        field.focus()
        # The remembered name is selected: Enter keeps it, typing replaces it (the first
        # focus of a new app does not select by itself, and the cursor sat at the end).
        self.call_after_refresh(field.select_all)
        self._load()

    def on_screen_resume(self) -> None:
        """Back from the call view (``v``): the list as it is now, the campaign in focus
        so another round or campaign is one arrow and Enter away."""
        if self.campaign is not None and self.loaded:
            self._load_list(self.campaign)
            self.query_one("#campaigns", OptionList).focus()

    # ------------------------------------------------------------------ loading

    @db_worker("start")
    def _load(self) -> None:
        db = self.phoner_app.db
        infos, known = data.campaign_infos(db), data.known_phoners(db)
        self.post_message(self.Loaded(infos, known))

    def on_start_screen_loaded(self, message: Loaded) -> None:
        self.loaded = True
        self.campaigns = message.campaigns
        prefs = self.phoner_app.prefs
        names = list(dict.fromkeys([*prefs.recent, *message.known]))
        name_input = self.query_one("#name", Input)
        name_input.suggester = SuggestFromList(names, case_sensitive=False)
        options = self.query_one("#campaigns", OptionList)
        options.clear_options()
        if not self.campaigns:
            self.query_one("#list-title", Static).update(t("start.no_campaigns"))
            return
        options.add_options([Option(Text(c.name), id=str(c.id)) for c in self.campaigns])
        wanted = self.wanted_campaign or prefs.campaign
        index = next(
            (i for i, c in enumerate(self.campaigns) if c.name == wanted),
            len(self.campaigns) - 1,
        )
        options.highlighted = index
        self._choose_campaign(self.campaigns[index])
        if (self.phoner_app.autostart or self.start_pending) and name_input.value.strip():
            self.action_start()

    def _choose_campaign(self, campaign: CampaignInfo) -> None:
        if self.campaign is not None and self.campaign.id == campaign.id:
            return
        self.campaign = campaign
        self.phoner_app.campaign_id = campaign.id
        self.phoner_app.campaign_name = campaign.name
        self.refresh_bindings()  # F2-F6 (check_action) depend on the campaign: footer anew
        rounds = self.query_one("#rounds", OptionList)
        rounds.clear_options()
        active = [r for r in campaign.rounds if r.state == RoundState.ACTIVE]
        for r in campaign.rounds:
            label = t("start.round_label", number=r.number, state=t(f"round_state.{r.state}"))
            rounds.add_option(Option(label, id=str(r.id), disabled=r.state != RoundState.ACTIVE))
        rounds.add_option(Option(t("start.all_rounds"), id=ALL_ROUNDS))
        first_active = next(
            (i for i, r in enumerate(campaign.rounds) if r.state == RoundState.ACTIVE), None
        )
        rounds.highlighted = first_active if first_active is not None else len(campaign.rounds)
        if not active:
            self.notify(t("start.no_rounds"), severity="warning")
        self._load_list(campaign)

    @db_worker("start-list")
    def _load_list(self, campaign: CampaignInfo) -> None:
        rows, total = data.company_rows(self.phoner_app.db, campaign_id=campaign.id)
        self.post_message(self.ListLoaded(campaign, rows, total))

    def on_start_screen_list_loaded(self, message: ListLoaded) -> None:
        if self.campaign is None or message.campaign.id != self.campaign.id:
            return  # the user moved on to another campaign meanwhile
        self.query_one("#list-title", Static).update(
            Text(t("start.list_title", campaign=message.campaign.name, count=message.total))
        )
        self.query_one("#preview", CompanyTable).show(message.rows)

    # ------------------------------------------------------------------ input

    @on(OptionList.OptionHighlighted, "#campaigns")
    def _campaign_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        campaign = next((c for c in self.campaigns if str(c.id) == event.option.id), None)
        if campaign is not None:
            self._choose_campaign(campaign)

    @on(Input.Submitted, "#name")
    @on(OptionList.OptionSelected)
    def _submitted(self) -> None:
        self.action_start()

    def selected_round_id(self) -> int | None:
        rounds = self.query_one("#rounds", OptionList)
        if rounds.highlighted is None:
            return None
        option = rounds.get_option_at_index(rounds.highlighted)
        return None if option.id in (None, ALL_ROUNDS) else int(option.id)

    def action_start(self, company_id: int | None = None) -> None:
        """Start calling (``company_id``: that company first, chosen on the call list)."""
        name = " ".join(self.query_one("#name", Input).value.split())
        if not name:
            self.notify(t("start.need_name"), severity="warning")
            self.query_one("#name", Input).focus()
            return
        if self.campaign is None:
            if not self.loaded:
                self.start_pending = True
                return
            self.notify(t("start.need_campaign"), severity="warning")
            return
        self.phoner_app.prefs.remember(phoner=name, campaign=self.campaign.name)
        self.phoner_app.campaign_name = self.campaign.name
        self.phoner_app.start_calling(
            phoner=name,
            campaign_id=self.campaign.id,
            round_id=self.selected_round_id(),
            company_id=company_id,
        )

    def action_call_list(self) -> None:
        if self.campaign is not None:
            self.phoner_app.open_call_list(campaign_id=self.campaign.id)

    def _remember_name(self) -> None:
        """The coordinator's screens audit changes under the name typed here."""
        name = " ".join(self.query_one("#name", Input).value.split())
        if name:
            self.phoner_app.phoner_name = name

    def action_dashboard(self) -> None:
        self._remember_name()
        self.phoner_app.open_dashboard()

    def action_followups(self) -> None:
        self._remember_name()
        self.phoner_app.open_followups()

    def action_visits(self) -> None:
        self._remember_name()
        self.phoner_app.open_visits()

    def action_bookings(self) -> None:
        self._remember_name()
        self.phoner_app.open_bookings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in COORDINATOR_ACTIONS:
            return self.phoner_app.campaign_id is not None  # they all show one campaign
        return True

    def action_focus_name(self) -> None:
        self.query_one("#name", Input).focus()

    @on(CompanyTable.Chosen)
    def _row_chosen(self) -> None:
        self.action_call_list()

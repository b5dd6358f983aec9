"""The phoner Textual app and the one factory that builds it (CLI and tests alike).

The app opens on the start screen (name, campaign, round); from there the phoner works
the call view. Everything the phoner does goes through the core services in worker
threads; a failed worker ends up in :meth:`PhonerApp.show_error`, the single place where
errors become a notification (a Danish message, never a traceback).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import HelpPanel

from phoner.config import Settings
from phoner.core.clock import local_date
from phoner.core.db import Database
from phoner.core.errors import PhonerError
from phoner.core.models import utcnow
from phoner.tui import data, i18n
from phoner.tui.data import Prefs
from phoner.tui.errors import error_text
from phoner.tui.host import Host
from phoner.tui.i18n import t
from phoner.tui.keys import PhonerCommandPalette, PhonerHelpPanel, key_display, localize
from phoner.tui.screens.base import translate_bindings

Clock = Callable[[], dt.datetime]

TERMINAL_CHECK_SECONDS = 2.0


class PhonerApp(App[None]):
    """The phoner's terminal app (the one :class:`~phoner.tui.host.Host` of the screens)."""

    CSS_PATH = [Path(__file__).with_name("app.tcss")]
    TITLE = "phoner"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "bind.quit", show=False, priority=True),
        # Tab moves the focus as soon as the app reads it, before the keys behind it are
        # routed: otherwise a paste or fast typing after Tab lands in the previous field.
        Binding("tab", "focus_next", "sys.focus_next", show=False, priority=True),
        Binding("shift+tab", "focus_previous", "sys.focus_previous", show=False, priority=True),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        campaign: str | None = None,
        phoner: str | None = None,
        clock: Clock | None = None,
        config_dir: Path | None = None,
        autostart: bool = False,
    ) -> None:
        i18n.set_language(settings.lang)
        super().__init__()
        translate_bindings(self)
        localize(self)  # Textual's own app bindings (the palette key's description)
        self.db = db
        self.settings = settings
        self.campaign_name = campaign
        self.campaign_id: int | None = None  # set when a campaign is chosen
        self.phoner_name = phoner
        self.clock: Clock = clock or utcnow
        self.prefs = Prefs.load(config_dir)
        self.autostart = autostart

    # ------------------------------------------------------------------ basics

    def now(self) -> dt.datetime:
        """The app's clock (injected in tests so screens are deterministic)."""
        return self.clock()

    def today(self) -> dt.date:
        """Today in Copenhagen by the app's clock."""
        return local_date(self.now())

    @property
    def actor(self) -> str:
        """Who is at the keyboard, for the audit log."""
        return self.phoner_name or "tui"

    def on_mount(self) -> None:
        from phoner.tui.screens.start import StartScreen

        self.title = t("app.title")
        self.push_screen(StartScreen(campaign=self.campaign_name, phoner=self.phoner_name))
        if not self.is_headless:
            self.set_interval(TERMINAL_CHECK_SECONDS, self.check_terminal)

    def check_terminal(self, fd: int | None = None) -> bool:
        """Quit (releasing the company) when the terminal has gone away.

        A closed terminal window does not always send SIGHUP to phoner (e.g. when it runs
        under make); its input then fails forever and the app would spin on a dead
        terminal, holding its company until the lease expires. Returns True if it is there.
        """
        try:
            alive = os.isatty(fd if fd is not None else 0)
        except (OSError, ValueError):
            alive = False
        if not alive:
            self.release_all()
            self.exit(return_code=129)
        return alive

    def show_error(self, exc: BaseException, *, hint: str | None = None) -> None:
        """The one place a failure becomes a message on screen (message and hint).

        ``hint`` is the screen's own advice; without it core's hint is shown unless it
        names a CLI command, which the TUI replaces (:mod:`phoner.tui.errors`).
        """
        message = error_text(exc, hint)
        self.notify(message, title=t("app.error_title"), severity="error", timeout=12)

    async def action_quit(self) -> None:
        """Release any company the phoner holds, then leave; first ask if a call screen
        holds answers, needs or a note that would be lost (Enter = stay)."""
        from phoner.tui.screens.call import CallScreen
        from phoner.tui.screens.dialogs import ConfirmDialog

        if isinstance(self.screen, ConfirmDialog):
            return  # already asking (Ctrl+Q pressed again in the dialog)
        calls = [s for s in self.screen_stack if isinstance(s, CallScreen)]
        if calls:
            calls[-1].unless_work_is_lost(self._quit_now, yes=t("call.leave.quit"))
            return
        self._quit_now()

    def _quit_now(self) -> None:
        self.release_all()
        self.exit()

    def release_all(self) -> None:
        for screen in self.screen_stack:
            release = getattr(screen, "release_lease", None)
            if callable(release):
                release()

    # ------------------------------------------------------------------ navigation
    # One typed method per screen. The coordinator's screens are imported inside them:
    # the phoner's own screens (the start screen, the call view) come up faster.

    def start_calling(
        self,
        *,
        phoner: str,
        campaign_id: int,
        round_id: int | None,
        company_id: int | None = None,
    ) -> None:
        from phoner.tui.screens.call import CallScreen

        self.phoner_name = phoner
        self.push_screen(
            CallScreen(
                phoner=phoner, campaign_id=campaign_id, round_id=round_id, company_id=company_id
            )
        )

    def call_company(self, company_id: int) -> None:
        """Open ``company_id`` on the call screen (Enter on the call list).

        Back to the call screen when the phoner is calling; from the start screen it
        starts calling with that company first (the start screen checks the name).
        """
        from phoner.tui.screens.call import CallScreen
        from phoner.tui.screens.start import StartScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, CallScreen | StartScreen):
                if isinstance(screen, CallScreen):
                    call = screen

                    def back_to_call(go: bool = True, call: CallScreen = call) -> None:
                        while self.screen is not call:
                            self.pop_screen()
                        if go:
                            call.open_company(company_id)

                    if call.claim is not None and call.claim.company_id == company_id:
                        back_to_call(go=False)  # the company on screen, as it is
                    else:
                        # answers, needs or a note typed for the company on screen: ask
                        # first (Enter = stay in that call)
                        call.unless_work_is_lost(
                            back_to_call,
                            yes=t("call.leave.other"),
                            stay=lambda: back_to_call(go=False),
                        )
                    return
                while self.screen is not screen:
                    self.pop_screen()
                if isinstance(screen, StartScreen):
                    screen.action_start(company_id=company_id)
                return

    def open_call_list(self, *, campaign_id: int, round_id: int | None = None) -> None:
        from phoner.tui.screens.call_list import CallListScreen

        self.push_screen(CallListScreen(campaign_id=campaign_id, round_id=round_id))

    def _campaign_or_say(self) -> int | None:
        if self.campaign_id is None:
            self.notify(t("start.need_campaign"), severity="warning")
        return self.campaign_id

    def open_dashboard(self) -> None:
        from phoner.tui.screens.dashboard import DashboardScreen

        if (campaign_id := self._campaign_or_say()) is not None:
            self.push_screen(DashboardScreen(campaign_id=campaign_id))

    def open_followups(self, *, consultant_id: int | None = None) -> None:
        from phoner.tui.screens.followups import FollowUpsScreen

        if (campaign_id := self._campaign_or_say()) is not None:
            self.push_screen(FollowUpsScreen(campaign_id=campaign_id, consultant_id=consultant_id))

    def open_visits(self, *, consultant_id: int | None = None) -> None:
        from phoner.tui.screens.visits import VisitsScreen

        if (campaign_id := self._campaign_or_say()) is not None:
            self.push_screen(VisitsScreen(campaign_id=campaign_id, consultant_id=consultant_id))

    def open_clearing(self, jobcenter_id: int) -> None:
        from phoner.tui.screens.clearing import ClearingScreen

        if (campaign_id := self._campaign_or_say()) is not None:
            self.push_screen(ClearingScreen(campaign_id=campaign_id, jobcenter_id=jobcenter_id))

    def open_bookings(self) -> None:
        from phoner.tui.screens.booking import BookingsScreen

        if (campaign_id := self._campaign_or_say()) is not None:
            self.push_screen(BookingsScreen(campaign_id=campaign_id))

    def open_held_companies(self) -> None:
        """The companies phoners hold now; the coordinator gives a stale one back."""
        from phoner.tui.screens.held import HeldCompaniesScreen

        if (campaign_id := self._campaign_or_say()) is not None:
            self.push_screen(HeldCompaniesScreen(campaign_id=campaign_id))

    # ------------------------------------------------------------------ Textual's own words

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette: Textual's system commands in the catalog's words (no theme
        picker: its screen is English), then the coordinator's screens."""
        yield SystemCommand(t("pal.quit"), t("pal.quit_help"), self.action_quit)
        if screen.query("HelpPanel"):
            yield SystemCommand(t("pal.keys"), t("pal.keys_hide"), self.action_hide_help_panel)
        else:
            yield SystemCommand(t("pal.keys"), t("pal.keys_show"), self.action_show_help_panel)
        if screen.maximized is not None:
            yield SystemCommand(t("pal.minimize"), t("pal.minimize_help"), screen.action_minimize)
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand(t("pal.maximize"), t("pal.maximize_help"), screen.action_maximize)
        yield SystemCommand(
            t("pal.screenshot"),
            t("pal.screenshot_help"),
            lambda: self.set_timer(0.1, self.deliver_screenshot),
        )
        if self.campaign_id is None:
            return  # the coordinator's screens all show one campaign
        for title_key, open_screen in COMMANDS:
            title = t(title_key)
            yield SystemCommand(title, title, lambda open_screen=open_screen: open_screen(self))
        # clearing is per jobcenter: one entry for each of the campaign's
        for jc_id, jc_name in self._campaign_jobcenters():
            label = f"{t('bind.clearing')}: {jc_name}"
            yield SystemCommand(label, label, lambda jc_id=jc_id: self.open_clearing(jc_id))

    def action_command_palette(self) -> None:
        """The command palette, with the catalog's placeholder."""
        if self.use_command_palette and not CommandPalette.is_open(cast("App[object]", self)):
            self.push_screen(
                PhonerCommandPalette(placeholder=t("pal.placeholder"), id="--command-palette")
            )

    def action_show_help_panel(self) -> None:
        """The keys panel, in the catalog's words (:mod:`phoner.tui.keys`)."""
        if not self.screen.query(HelpPanel):
            self.screen.mount(PhonerHelpPanel())

    def action_help_quit(self) -> None:
        """Ctrl+C (copy in a field) reminds how to quit, in the catalog's words."""
        for active in self.active_bindings.values():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(
                    t(
                        "pal.help_quit",
                        key=key_display(active.binding, self.get_key_display(active.binding)),
                    ),
                    title=t("pal.help_quit_title"),
                )
                return

    def _campaign_jobcenters(self) -> list[tuple[int, str]]:
        if self.campaign_id is None:
            return []
        try:
            return data.campaign_jobcenters(self.db, self.campaign_id)
        except PhonerError:
            return []


def _host(app: PhonerApp) -> Host:
    """The app is the screens' host (mypy checks it against the protocol here)."""
    return app


#: The command palette's screens (catalog key of the title, how to open it).
COMMANDS: tuple[tuple[str, Callable[[PhonerApp], None]], ...] = (
    ("bind.dashboard", PhonerApp.open_dashboard),
    ("bind.followups", PhonerApp.open_followups),
    ("bind.visits", PhonerApp.open_visits),
    ("bind.bookings", PhonerApp.open_bookings),
    ("held.title", PhonerApp.open_held_companies),
)


def create_app(
    *,
    db: Database,
    settings: Settings,
    campaign: str | None = None,
    phoner: str | None = None,
    clock: Clock | None = None,
    config_dir: Path | None = None,
    autostart: bool = False,
) -> PhonerApp:
    """Build the app: the CLI and the tests both come through here."""
    return PhonerApp(
        db=db,
        settings=settings,
        campaign=campaign,
        phoner=phoner,
        clock=clock,
        config_dir=config_dir,
        autostart=autostart,
    )


def run_app(
    *,
    db: Database,
    settings: Settings,
    campaign: str | None = None,
    phoner: str | None = None,
) -> None:
    app = create_app(db=db, settings=settings, campaign=campaign, phoner=phoner)
    try:
        app.run()
    finally:
        app.release_all()  # also after a crash or ctrl+c: never keep a company locked

"""The phoner Textual app and the one factory that builds it (CLI and tests alike).

The app opens on the start screen (name, campaign, round); from there the phoner works
the call view. Everything the phoner does goes through the core services in worker
threads; a failed worker ends up in :meth:`PhonerApp.show_error`, the single place where
errors become a notification (a Danish message, never a traceback).
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from phoner.config import Settings
from phoner.core.db import Database
from phoner.core.errors import PhonerError, from_os_error, write_crash_log
from phoner.core.models import utcnow
from phoner.tui import data, i18n
from phoner.tui.data import Prefs
from phoner.tui.i18n import LOCAL_TZ, t
from phoner.tui.screens.base import translate_bindings

Clock = Callable[[], dt.datetime]

#: Screens other features add to the TUI: (module, class name, i18n key of the title).
#: Each is reached from the command palette (ctrl+p) when its module is installed.
TERMINAL_CHECK_SECONDS = 2.0

EXTRA_SCREENS: list[tuple[str, str, str]] = [
    ("phoner.tui.screens.dashboard", "DashboardScreen", "bind.dashboard"),
    ("phoner.tui.screens.followups", "FollowUpsScreen", "bind.followups"),
    ("phoner.tui.screens.visits", "VisitsScreen", "bind.visits"),
    ("phoner.tui.screens.clearing", "ClearingScreen", "bind.clearing"),
    ("phoner.tui.screens.booking", "BookingsScreen", "bind.bookings"),
]


class PhonerApp(App[None]):
    """The phoner's terminal app."""

    CSS_PATH = [Path(__file__).with_name("app.tcss")]
    TITLE = "phoner"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [Binding("ctrl+q", "quit", "bind.quit", show=False, priority=True)]
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
        self.db = db
        self.settings = settings
        self.campaign_name = campaign
        self.campaign_id: int | None = None  # set when a campaign is chosen
        self.phoner_name = phoner
        self.clock: Clock = clock or utcnow
        self.prefs = Prefs.load(config_dir)
        self.autostart = autostart
        self.errors: list[str] = []  # every error message shown (tests read it)

    # ------------------------------------------------------------------ basics

    def now(self) -> dt.datetime:
        """The app's clock (injected in tests so screens are deterministic)."""
        return self.clock()

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

    def show_error(self, exc: BaseException) -> None:
        """The one place a failure becomes a message on screen."""
        if isinstance(exc, OSError):
            exc = from_os_error(exc)
        if isinstance(exc, PhonerError):
            message = exc.message if not exc.hint else f"{exc.message}\n{exc.hint}"
        else:
            message = t("app.error_unexpected", path=write_crash_log(exc))
        self.errors.append(message)
        self.notify(message, title=t("app.error_title"), severity="error", timeout=12)

    async def action_quit(self) -> None:
        """Release any company the phoner holds, then leave."""
        self.release_all()
        self.exit()

    def release_all(self) -> None:
        for screen in self.screen_stack:
            release = getattr(screen, "release_lease", None)
            if callable(release):
                release()

    # ------------------------------------------------------------------ navigation

    def start_calling(self, *, phoner: str, campaign_id: int, round_id: int | None) -> None:
        from phoner.tui.screens.call import CallScreen

        self.phoner_name = phoner
        self.push_screen(CallScreen(phoner=phoner, campaign_id=campaign_id, round_id=round_id))

    def open_call_list(self, *, campaign_id: int, round_id: int | None = None) -> None:
        from phoner.tui.screens.call_list import CallListScreen

        self.push_screen(CallListScreen(campaign_id=campaign_id, round_id=round_id))

    def extra_screens(self) -> list[tuple[str, type[Screen[Any]]]]:
        """The coordinator's and consultants' screens, with their titles.

        Imported here rather than at start-up: the phoner's own screens come up faster.
        """
        if self.campaign_id is None:
            return []  # they all show one campaign
        found: list[tuple[str, type[Screen[Any]]]] = []
        for module_name, class_name, title_key in EXTRA_SCREENS:
            cls = getattr(importlib.import_module(module_name), class_name)
            found.append((t(title_key), cls))
        return found

    def open_extra(self, cls: type[Screen[Any]], **extra: Any) -> None:
        try:
            screen = _build_screen(cls, self, **extra)
        except PhonerError as exc:
            self.show_error(exc)
            return
        self.push_screen(screen)

    def open_extra_by_name(self, class_name: str) -> None:
        """Open another feature's screen by class name (the start screen's F-keys)."""
        for _, cls in self.extra_screens():
            if cls.__name__ == class_name:
                self.open_extra(cls)
                return

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, cls in self.extra_screens():
            if "jobcenter_id" in _required_params(cls):
                # one entry per jobcenter of the campaign (clearing is per jobcenter)
                for jc_id, jc_name in self._campaign_jobcenters():
                    label = f"{title}: {jc_name}"
                    yield SystemCommand(
                        label,
                        label,
                        lambda cls=cls, jc_id=jc_id: self.open_extra(cls, jobcenter_id=jc_id),
                    )
                continue
            yield SystemCommand(title, title, lambda cls=cls: self.open_extra(cls))

    def _campaign_jobcenters(self) -> list[tuple[int, str]]:
        if self.campaign_id is None:
            return []
        try:
            with self.db.session() as session:
                return data.campaign_jobcenters(session, self.campaign_id)
        except PhonerError:
            return []


def _required_params(cls: type[Screen[Any]]) -> set[str]:
    params = inspect.signature(cls.__init__).parameters.values()
    return {
        p.name
        for p in params
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        and p.name != "self"
    }


def _build_screen(cls: type[Screen[Any]], app: PhonerApp, **extra: Any) -> Screen[Any]:
    """Instantiate another feature's screen with the arguments it asks for."""
    params = inspect.signature(cls.__init__).parameters
    available: dict[str, Any] = {
        "db": app.db,
        "settings": app.settings,
        "campaign": app.campaign_name,
        "campaign_name": app.campaign_name,
        "campaign_id": app.campaign_id,
        "phoner": app.phoner_name,
        "actor": app.phoner_name or "tui",
        "clock": app.clock,
        "today": lambda: app.now().astimezone(LOCAL_TZ).date(),
    }
    available.update(extra)
    kwargs = {k: v for k, v in available.items() if k in params}
    return cls(**kwargs)


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

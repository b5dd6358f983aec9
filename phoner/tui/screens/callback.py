"""The call-back picker: one key for the usual times, or type a date and time."""

from __future__ import annotations

import datetime as dt
import re

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Key
from textual.widgets import Input, Static

from phoner.core.clock import local_to_utc, to_local
from phoner.core.workdays import holiday_name
from phoner.tui.i18n import format_when, t
from phoner.tui.screens.base import PhonerModal

_TIME = r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?"
_DATE = r"(?P<d>\d{1,2})[-./](?P<mo>\d{1,2})(?:[-./](?P<y>\d{2,4}))?\.?"
_ISO = r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
_TOMORROW = r"(?:i\s*morgen|imorgen|tomorrow)"


def next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5 or holiday_name(day) is not None:
        day += dt.timedelta(days=1)
    return day


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute))


def parse_when(text: str, now: dt.datetime) -> dt.datetime | None:
    """A typed call-back time in Danish habits, as aware UTC (None: not understood).

    Accepts ``14:15``/``14.15``/``14`` (today), ``i morgen 10``, ``24-11 10:30``,
    ``24.11.2026 10.30``, ``24/11 10`` and ``2026-11-24 10:30``.
    """
    s = " ".join(text.strip().lower().replace("kl.", " ").replace("kl ", " ").split())
    today = to_local(now).date()
    patterns = [
        (rf"{_TIME}", "today"),
        (rf"{_TOMORROW}\s*{_TIME}", "tomorrow"),
        (rf"{_DATE}\s+{_TIME}", "date"),
        (rf"{_ISO}\s+{_TIME}", "date"),
    ]
    for pattern, kind in patterns:
        m = re.fullmatch(pattern, s)
        if m is None:
            continue
        hour, minute = int(m["h"]), int(m["m"] or 0)
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            return None
        if kind == "today":
            day = today
        elif kind == "tomorrow":
            day = today + dt.timedelta(days=1)
        else:
            year = int(m["y"]) if m["y"] else today.year
            if year < 100:
                year += 2000
            try:
                day = dt.date(year, int(m["mo"]), int(m["d"]))
            except ValueError:
                return None
            if not m["y"] and day < today:
                day = day.replace(year=day.year + 1)  # "05-01" typed in December
        return _at(day, hour, minute)
    return None


def presets(now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """The quick choices, keys 1-4."""
    local = to_local(now)
    in_hour = (local + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    in_hour = in_hour.replace(minute=(in_hour.minute // 5) * 5)
    nwd = next_working_day(local.date())
    week = local.date() + dt.timedelta(days=7)
    while week.weekday() >= 5 or holiday_name(week) is not None:
        week += dt.timedelta(days=1)
    choices = [
        ("callback.preset.in_hour", in_hour.astimezone(dt.UTC)),
        ("callback.preset.tomorrow_morning", _at(nwd, 9, 0)),
        ("callback.preset.tomorrow_afternoon", _at(nwd, 13, 0)),
        ("callback.preset.next_week", _at(week, 10, 0)),
    ]
    return [(t(key, when=format_when(when, now=now)), when) for key, when in choices]


class CallbackScreen(PhonerModal[dt.datetime | None]):
    """Returns the agreed call-back time (aware UTC), or None if the phoner cancels."""

    AUTO_FOCUS = None

    BINDINGS = [
        Binding("escape", "cancel", "bind.close"),
        Binding("1", "preset(0)", show=False),
        Binding("2", "preset(1)", show=False),
        Binding("3", "preset(2)", show=False),
        Binding("4", "preset(3)", show=False),
    ]

    def __init__(self, *, company: str, now: dt.datetime) -> None:
        super().__init__()
        self.company = company
        self.opened_at = now
        self.choices = presets(now)

    def compose(self) -> ComposeResult:
        with Vertical(id="callback-dialog"):
            yield Static(t("callback.title"), id="callback-title")
            yield Static(t("callback.company", company=self.company), markup=False)
            yield Static(t("callback.presets"), classes="panel-title")
            for i, (label, _) in enumerate(self.choices, start=1):
                yield Static(f" {i}  {label}", markup=False, classes="preset")
            yield Static(t("callback.input"), classes="panel-title")
            yield Input(placeholder=t("callback.input_placeholder"), id="callback-input")
            yield Static("", id="callback-error", markup=False)
            yield Static(t("callback.hint"), classes="hint")

    def on_mount(self) -> None:
        # Presets first: the free-text field gets focus only on Tab or typing.
        self.call_after_refresh(self.set_focus, None)

    def action_preset(self, index: int) -> None:
        if 0 <= index < len(self.choices):
            self.dismiss(self.choices[index][1])

    def on_key(self, event: Key) -> None:
        # The preset digits work until the phoner starts typing; any other character
        # starts the free-text field.
        if self.query_one("#callback-input", Input).has_focus:
            return
        if (
            event.character
            and event.character.isprintable()
            and event.key not in ("1", "2", "3", "4")
        ):
            field = self.query_one("#callback-input", Input)
            field.focus()
            field.insert_text_at_cursor(event.character)
            event.stop()

    @on(Input.Submitted, "#callback-input")
    def _typed(self, event: Input.Submitted) -> None:
        error = self.query_one("#callback-error", Static)
        when = parse_when(event.value, self.opened_at)
        if when is None:
            error.update(t("callback.invalid", text=event.value))
            return
        if when <= self.opened_at:
            error.update(t("callback.past", when=format_when(when, now=self.opened_at)))
            return
        self.dismiss(when)

    def action_cancel(self) -> None:
        self.dismiss(None)

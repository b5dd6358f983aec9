"""The call-back picker: one key for the usual times, or type a date and time.

The quick picks only offer times inside the campaign's calling hours on working days:
"om en time" at 15:30 with calling until 16:00 becomes the next working day's first
calling time, and its label says so.
"""

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
from phoner.core.workdays import add_working_days, is_working_day
from phoner.tui.i18n import format_when, t
from phoner.tui.screens.base import PhonerModal

_TIME = r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?"
_DATE = r"(?P<d>\d{1,2})[-./](?P<mo>\d{1,2})(?:[-./](?P<y>\d{2,4}))?\.?"
_ISO = r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
_TOMORROW = r"(?:i\s*morgen|imorgen|tomorrow)"


#: The campaign's calling hours when none are given (Campaign's defaults).
DEFAULT_HOURS = (dt.time(9, 0), dt.time(16, 0))


def next_working_day(day: dt.date) -> dt.date:
    return add_working_days(day, 1)


def _inside(day: dt.date, at: dt.time, hours: tuple[dt.time, dt.time]) -> bool:
    start, end = hours
    return is_working_day(day) and start <= at < end


def _within(at: dt.time, hours: tuple[dt.time, dt.time]) -> dt.time:
    """``at`` moved into the calling hours of a day (the start, or before the end)."""
    start, end = hours
    if at < start:
        return start
    if at >= end:
        latest = dt.datetime.combine(dt.date.min, end) - dt.timedelta(hours=1)
        return max(start, latest.time())
    return at


def next_calling_time(local: dt.datetime, hours: tuple[dt.time, dt.time]) -> dt.datetime:
    """The first calling time at or after ``local`` (aware UTC): later today, or the
    next working day's start."""
    start, _ = hours
    day, at = local.date(), local.time().replace(tzinfo=None)
    if _inside(day, at, hours):
        return local.astimezone(dt.UTC)
    if is_working_day(day) and at < start:
        return _at(day, start.hour, start.minute)
    nwd = next_working_day(day)
    return _at(nwd, start.hour, start.minute)


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


def presets(
    now: dt.datetime, hours: tuple[dt.time, dt.time] = DEFAULT_HOURS
) -> list[tuple[str, dt.datetime]]:
    """The quick choices, keys 1-4, all inside ``hours`` (calling start, end) on working
    days."""
    local = to_local(now)
    in_hour = (local + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    in_hour = in_hour.replace(minute=(in_hour.minute // 5) * 5)
    in_hour_key = "callback.preset.in_hour"
    if not _inside(in_hour.date(), in_hour.time().replace(tzinfo=None), hours):
        in_hour_key = "callback.preset.in_hour_moved"  # after hours: the next calling time
        in_hour = to_local(next_calling_time(in_hour, hours))
    nwd = next_working_day(local.date())
    week = local.date() + dt.timedelta(days=7)
    while not is_working_day(week):
        week += dt.timedelta(days=1)
    morning, afternoon, ten = (_within(dt.time(h), hours) for h in (9, 13, 10))
    choices = [
        (in_hour_key, in_hour.astimezone(dt.UTC)),
        ("callback.preset.tomorrow_morning", _at(nwd, morning.hour, morning.minute)),
        ("callback.preset.tomorrow_afternoon", _at(nwd, afternoon.hour, afternoon.minute)),
        ("callback.preset.next_week", _at(week, ten.hour, ten.minute)),
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

    def __init__(
        self,
        *,
        company: str,
        now: dt.datetime,
        hours: tuple[dt.time, dt.time] = DEFAULT_HOURS,
    ) -> None:
        super().__init__()
        self.company = company
        self.opened_at = now
        self.choices = presets(now, hours)

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

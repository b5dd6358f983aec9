"""How phoner writes times and days for people: one Danish convention, this module only.

The CLI, the TUI, reports, exports' human columns, e-mails and calendar texts all call
these functions; nothing else formats a date or a time for a person to read.

The convention (Retskrivningsordbogen: Danish separates hours and minutes with a full
stop, "kl. 8.30"; the date is day.month.year):

- a **date** is ``"03.12.2026"`` (:func:`format_date`), with its weekday
  ``"tor 03.12.2026"`` (:func:`format_day`);
- a **time** is ``"08.30"`` (:func:`format_time`; hours with two digits so times line
  up in columns), a span ``"08.30–09.30"``;
- a **moment** is ``"tor 03.12.2026 kl. 08.30"`` (:func:`format_local`), without the
  weekday ``"03.12.2026 kl. 08.30"`` (:func:`format_stamp`: when something was done);
  a visit is ``"tor 03.12.2026 kl. 08.30–09.30"`` (:func:`format_slot`);
- near moments (the call view, the booking line): ``"i dag kl. 14.30"``,
  ``"i morgen kl. 09.00"``, else a moment (:func:`format_near`);
- in letters (reminders, notices, invitations) the weekday is written out:
  ``"torsdag den 03.12.2026 kl. 08.30"`` (:func:`format_when`, :func:`format_span`).

Machine formats stay ISO 8601 and are not made here: JSON output, machine columns of
CSV/Excel exports (``tabular``), iCalendar, and what the CLI accepts as input.

:func:`count` — ``"1 række"`` / ``"2 rækker"``: a number with its noun in the right form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from phoner.core.clock import to_local

WEEKDAYS_DA = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
WEEKDAYS_SHORT_DA = ("man", "tir", "ons", "tor", "fre", "lør", "søn")


def format_time(value: dt.datetime | dt.time) -> str:
    """``"08.30"`` (a datetime in Copenhagen time; a time as it is)."""
    t = to_local(value).time() if isinstance(value, dt.datetime) else value
    return f"{t.hour:02d}.{t.minute:02d}"


def format_date(day: dt.date | dt.datetime) -> str:
    """``"03.12.2026"`` (a datetime: its day in Copenhagen)."""
    d = to_local(day).date() if isinstance(day, dt.datetime) else day
    return f"{d:%d.%m.%Y}"


def format_day(day: dt.date | dt.datetime, *, weekdays: Sequence[str] = WEEKDAYS_SHORT_DA) -> str:
    """``"tor 03.12.2026"``."""
    d = to_local(day).date() if isinstance(day, dt.datetime) else day
    return f"{weekdays[d.weekday()]} {format_date(d)}"


def format_local(
    ts: dt.datetime,
    *,
    weekday: bool = True,
    weekdays: Sequence[str] = WEEKDAYS_SHORT_DA,
    at: str = "kl.",
) -> str:
    """``"tor 03.12.2026 kl. 08.30"`` in Copenhagen time (``weekday=False``: no weekday)."""
    local = to_local(ts)
    day = format_day(local, weekdays=weekdays) if weekday else format_date(local)
    return f"{day} {at} {format_time(local)}"


def format_stamp(ts: dt.datetime) -> str:
    """``"03.12.2026 kl. 08.30"`` in Copenhagen time: when something was done."""
    return format_local(ts, weekday=False)


def format_slot(
    start: dt.datetime,
    end: dt.datetime,
    *,
    weekdays: Sequence[str] = WEEKDAYS_SHORT_DA,
    at: str = "kl.",
) -> str:
    """``"tor 03.12.2026 kl. 08.30–09.30"`` (a visit on one day)."""
    return f"{format_local(start, weekdays=weekdays, at=at)}–{format_time(end)}"


def format_near(
    ts: dt.datetime,
    *,
    now: dt.datetime,
    today: str = "i dag",
    tomorrow: str = "i morgen",
    weekdays: Sequence[str] = WEEKDAYS_SHORT_DA,
    at: str = "kl.",
) -> str:
    """``"i dag kl. 14.30"``, ``"i morgen kl. 09.00"``, else ``"tor 03.12.2026 kl. 08.30"``."""
    local, day = to_local(ts), to_local(now).date()
    if local.date() == day:
        return f"{today} {at} {format_time(local)}"
    if local.date() == day + dt.timedelta(days=1):
        return f"{tomorrow} {at} {format_time(local)}"
    return format_local(ts, weekdays=weekdays, at=at)


def format_when(ts: dt.datetime) -> str:
    """``"torsdag den 03.12.2026 kl. 08.30"`` in Copenhagen time (in letters)."""
    local = to_local(ts)
    return f"{WEEKDAYS_DA[local.weekday()]} den {format_date(local)} kl. {format_time(local)}"


def format_span(start: dt.datetime, end: dt.datetime) -> str:
    """``"torsdag den 03.12.2026 kl. 08.30–09.30"`` (a visit on one day, in letters)."""
    return f"{format_when(start)}–{format_time(end)}"


def count(n: int, one: str, many: str) -> str:
    """``n`` with the singular noun when it is exactly 1, else the plural (``0 rækker``).

    Danish plurals are irregular ("ansat"/"ansatte", "besøg"/"besøg"), so the caller
    names both forms rather than a rule guessing them.
    """
    return f"{n} {one if n == 1 else many}"

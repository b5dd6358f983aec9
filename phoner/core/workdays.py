"""Danish working days.

Working days skip weekends and Danish public holidays (from the ``holidays`` package,
names in Danish). Grundlovsdag, juleaftensdag and nytårsaftensdag are not public holidays
by law, but jobcenters (municipal offices) are closed, so nobody books a company visit on
them either: they count as days off here too.

Days here are Copenhagen calendar days; :mod:`phoner.core.clock` turns timestamps into
them.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

#: Optional-category days on which jobcenters are closed (kept with the public holidays).
_CLOSED_OPTIONAL = {"Grundlovsdag", "Juleaftensdag", "Nytårsaften"}


@lru_cache(maxsize=64)
def _holidays_of_year(year: int) -> dict[dt.date, str]:
    public = holidays.country_holidays("DK", years=year, language="da")
    days: dict[dt.date, str] = dict(public.items())
    optional = holidays.country_holidays("DK", years=year, categories=("optional",), language="da")
    for day, name in optional.items():
        if name in _CLOSED_OPTIONAL:
            days.setdefault(day, name)
    return days


def holiday_name(day: dt.date) -> str | None:
    """The Danish name of the holiday on ``day``, or None on an ordinary day."""
    return _holidays_of_year(day.year).get(day)


def is_holiday(day: dt.date) -> bool:
    return holiday_name(day) is not None


def is_working_day(day: dt.date) -> bool:
    """Monday–Friday and not a Danish public holiday (or a day jobcenters are closed)."""
    return day.weekday() < 5 and not is_holiday(day)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``n = 0``: ``day`` itself).

    With ``n > 0`` the result is always a working day, whatever ``day`` is: two working
    days after Friday is Tuesday (Wednesday if Monday is a holiday).
    """
    if n < 0:
        return subtract_working_days(day, -n)
    current = day
    left = n
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def subtract_working_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day before ``day`` (``n = 0``: ``day`` itself)."""
    current = day
    left = n
    while left > 0:
        current -= dt.timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in the half-open range (start, end]: how much notice ``end`` gives."""
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count

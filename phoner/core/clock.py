"""phoner's clock and its one time zone: the only module that knows Europe/Copenhagen.

The database stores aware UTC; everything a person sees or types (a visit "on Monday at
09:00", "today" for a suppression cut-off, a contact date) is Copenhagen wall-clock time.
The conversions at that edge live here, so "today" is the same local day everywhere (it
was taken in UTC in some places, which put a contact written just after midnight on the
day before). A ruff banned-api rule keeps ``zoneinfo.ZoneInfo`` out of every other
module.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

#: The jobcenters' time zone (Danish time, with summer time).
TZ = ZoneInfo("Europe/Copenhagen")


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC (the only clock the core uses)."""
    return dt.datetime.now(dt.UTC)


def to_local(ts: dt.datetime) -> dt.datetime:
    """An aware timestamp in Copenhagen time (for display and for rules on local days)."""
    if ts.tzinfo is None:
        raise ValueError("naive datetime; use timezone-aware UTC")
    return ts.astimezone(TZ)


def local_date(ts: dt.datetime) -> dt.date:
    """The Copenhagen calendar day of an aware timestamp."""
    return to_local(ts).date()


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today in Copenhagen (of ``now`` if given): the day a person would write."""
    return local_date(now or utcnow())


def localize(naive: dt.datetime) -> dt.datetime:
    """A naive wall-clock time read from a file, as aware Copenhagen time."""
    return naive.replace(tzinfo=TZ)


def local_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    """Copenhagen wall-clock ``day time`` as aware UTC (correct on both sides of DST)."""
    return dt.datetime.combine(day, time, tzinfo=TZ).astimezone(dt.UTC)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start and end of a Copenhagen calendar day (23 or 25 hours at DST)."""
    return local_to_utc(day, dt.time(0)), local_to_utc(day + dt.timedelta(days=1), dt.time(0))


def parse_local(text: str) -> dt.datetime:
    """``"YYYY-MM-DD HH:MM"`` in Copenhagen time as aware UTC; ValueError if malformed."""
    parsed = dt.datetime.strptime(text.strip().replace("T", " "), "%Y-%m-%d %H:%M")  # noqa: DTZ007
    return local_to_utc(parsed.date(), parsed.time())

"""A settable clock for apps and services under test."""

from __future__ import annotations

import datetime as dt

#: Tuesday 24 November 2026, 10:00 in Copenhagen: inside the calling hours.
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


class Clock:
    """Returns ``now`` when called; tests move it forward with :meth:`advance`."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)

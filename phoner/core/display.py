"""How phoner writes times and days for people (Danish): one format per purpose.

- :func:`format_local` — ``"man 2027-03-29 kl. 09:00"``: CLI listings, e-mails, feeds.
- :func:`format_stamp` — ``"29.03.2027 09:00"``: when something was done (clearing
  sheets, sign-off, the TUI's lists).
- :func:`count` — ``"1 række"`` / ``"2 rækker"``: a number with its noun in the right form.
"""

from __future__ import annotations

import datetime as dt

from phoner.core.clock import to_local

WEEKDAYS_DA = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
WEEKDAYS_SHORT_DA = ("man", "tir", "ons", "tor", "fre", "lør", "søn")


def format_local(ts: dt.datetime, *, weekday: bool = True) -> str:
    """``"man 2027-03-29 kl. 09:00"`` in Copenhagen time."""
    local = to_local(ts)
    text = f"{local:%Y-%m-%d} kl. {local:%H:%M}"
    return f"{WEEKDAYS_SHORT_DA[local.weekday()]} {text}" if weekday else text


def format_stamp(ts: dt.datetime) -> str:
    """``"29.03.2027 09:00"`` in Copenhagen time."""
    return to_local(ts).strftime("%d.%m.%Y %H:%M")


def count(n: int, one: str, many: str) -> str:
    """``n`` with the singular noun when it is exactly 1, else the plural (``0 rækker``).

    Danish plurals are irregular ("ansat"/"ansatte", "besøg"/"besøg"), so the caller
    names both forms rather than a rule guessing them.
    """
    return f"{n} {one if n == 1 else many}"

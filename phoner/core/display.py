"""How phoner writes times and days for people (Danish): one format per purpose.

- :func:`format_local` — ``"man 2027-03-29 kl. 09:00"``: CLI listings, e-mails, feeds.
- :func:`format_stamp` — ``"29.03.2027 09:00"``: when something was done (clearing
  sheets, sign-off, the TUI's lists).
- :func:`format_when` — ``"mandag den 29.03.2027 kl. 09:00"``: letters to people
  (reminders, notices, invitations); :func:`format_span` adds the end, ``"…–10:00"``.
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


def format_when(ts: dt.datetime) -> str:
    """``"mandag den 29.03.2027 kl. 09:00"`` in Copenhagen time (in letters)."""
    local = to_local(ts)
    return f"{WEEKDAYS_DA[local.weekday()]} den {local:%d.%m.%Y} kl. {local:%H:%M}"


def format_span(start: dt.datetime, end: dt.datetime) -> str:
    """``"mandag den 29.03.2027 kl. 09:00–10:00"`` (a visit on one day)."""
    return f"{format_when(start)}–{to_local(end):%H:%M}"


def count(n: int, one: str, many: str) -> str:
    """``n`` with the singular noun when it is exactly 1, else the plural (``0 rækker``).

    Danish plurals are irregular ("ansat"/"ansatte", "besøg"/"besøg"), so the caller
    names both forms rather than a rule guessing them.
    """
    return f"{n} {one if n == 1 else many}"

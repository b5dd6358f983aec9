"""Every string the TUI shows, in Danish (default) and English (``PHONER_LANG=en``).

The one place for user-facing TUI text: screens and widgets call :func:`t` with a key and
keyword arguments. The Danish catalog (:mod:`.da`) is the reference; the English one
(:mod:`.en`) must have the same keys (a test checks it), and no screen or widget module
holds a Danish literal of its own (another test checks that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from phoner.core import display
from phoner.core.display import WEEKDAYS_DA, WEEKDAYS_SHORT_DA
from phoner.core.models import CallState, Outcome
from phoner.core.queue.hours import Closed
from phoner.tui.i18n.da import DA
from phoner.tui.i18n.en import EN, OUTCOME_EN

__all__ = [
    "DA",
    "EN",
    "Labels",
    "closed_text",
    "format_day",
    "format_slot",
    "format_when",
    "has_key",
    "outcome_label",
    "set_language",
    "t",
    "weekday_name",
]


CATALOGS: dict[str, dict[str, str]] = {"da": DA, "en": EN}
_lang = "da"


def set_language(lang: str) -> None:
    """Switch the catalog (``da`` or ``en``); anything else falls back to Danish."""
    global _lang
    _lang = lang if lang in CATALOGS else "da"


def language() -> str:
    return _lang


def has_key(key: str | None) -> bool:
    """Whether ``key`` is a catalog key (binding descriptions may be keys or plain text)."""
    return key is not None and key in DA


def t(key: str, /, **kw: object) -> str:
    """The text for ``key`` in the current language, formatted with ``kw``."""
    text = CATALOGS[_lang].get(key) or DA.get(key) or key
    return text.format(**kw) if kw else text


def outcome_label(outcome: Outcome | str) -> str:
    out = Outcome.parse(outcome) if isinstance(outcome, str) else outcome
    return OUTCOME_EN[out] if _lang == "en" else out.label


def state_label(state: CallState | str) -> str:
    return t(f"state.{CallState(state).value}")


def _weekdays() -> tuple[str, ...]:
    """Short weekday names for :mod:`phoner.core.display`'s formats."""
    return _WEEKDAYS_SHORT_EN if _lang == "en" else WEEKDAYS_SHORT_DA


def format_when(when: dt.datetime, *, now: dt.datetime | None = None) -> str:
    """A moment (:mod:`phoner.core.display`): ``tor 03.12.2026 kl. 08.30``, and with
    ``now`` ``i dag kl. 14.30`` / ``i morgen kl. 09.00`` for the next two days."""
    if now is None:
        return display.format_local(when, weekdays=_weekdays(), at=t("time.at"))
    return display.format_near(
        when,
        now=now,
        today=t("time.today"),
        tomorrow=t("time.tomorrow"),
        weekdays=_weekdays(),
        at=t("time.at"),
    )


def format_slot(start: dt.datetime, end: dt.datetime) -> str:
    """A visit: ``tor 03.12.2026 kl. 08.30–09.30``."""
    return display.format_slot(start, end, weekdays=_weekdays(), at=t("time.at"))


def format_day(day: dt.date) -> str:
    """A day: ``tor 03.12.2026``."""
    return display.format_day(day, weekdays=_weekdays())


_WEEKDAYS_SHORT_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday_name(weekday: int) -> str:
    """The name of a weekday (0 = Monday) in the current language."""
    return _WEEKDAYS_EN[weekday] if _lang == "en" else WEEKDAYS_DA[weekday]


def closed_text(closed: Closed | None) -> str | None:
    """Why nobody is called now (core's :class:`Closed`), in the current language."""
    if closed is None:
        return None
    if closed.kind == "holiday":
        return t("call.closed.holiday", name=closed.holiday)
    key = "call.closed.weekend" if closed.kind == "weekend" else "call.closed.hours"
    sep = ":" if _lang == "en" else "."  # Danish writes 09.00 (core/display.py)

    def clock(v: dt.time) -> str:
        return f"{v.hour:02d}{sep}{v.minute:02d}"

    return t(key, start=clock(closed.start), end=clock(closed.end))


K = TypeVar("K", bound=str)


class Labels(Mapping[K, str], Generic[K]):
    """Labels of core values (enum members or codes) in the current language, looked up
    when shown: ``Labels("label.cancel", CancelReason)[reason]``. A value without a
    catalog entry (one core added since) shows core's own ``fallback`` label."""

    def __init__(
        self, prefix: str, values: Iterable[K], fallback: Mapping[K, str] | None = None
    ) -> None:
        self.prefix = prefix
        self._members = tuple(values)
        self.fallback = fallback or {}

    def __getitem__(self, value: K) -> str:
        code = value.value if isinstance(value, StrEnum) else str(value)
        key = f"{self.prefix}.{code}"
        if has_key(key):
            return t(key)
        if value in self.fallback:
            return self.fallback[value]
        raise KeyError(value)

    def __iter__(self) -> Iterator[K]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

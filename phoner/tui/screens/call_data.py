"""What the call screen works with: the actions it guards and the data its workers hand
back (plain frozen values; the screen itself is :mod:`phoner.tui.screens.call`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from phoner.core.models import NotInterestedReason, Outcome
from phoner.core.queue.card import CompanyCard, PhonerStats
from phoner.core.queue.claims import Claim

#: Actions that act on the call; they are off while the phoner types in the needs form.
CALL_ACTIONS = {
    "answer",
    "back",
    "save",
    "outcome",
    "callback",
    "undo",
    "skip",
    "faq",
    "call_list",
    "refresh",
    "anyway",
    "quit_calling",
    "change_round",
    "copy_phone",
    "needs",
    "note",
    "later",
    "contact",
}


@dataclass(frozen=True)
class Saved:
    """The last recorded outcome (for the undo key and the 'saved' message)."""

    attempt_id: int
    outcome: Outcome
    company: str
    answers: dict[str, str]
    needs: dict[str, Any]
    note: str


@dataclass(frozen=True)
class RecordRequest:
    company_id: int
    lease_token: str
    company: str
    outcome: Outcome
    answers: dict[str, str]
    needs: dict[str, Any]
    note: str
    callback_at: dt.datetime | None
    started_at: dt.datetime | None
    reason: NotInterestedReason | None = None  # ikke_interesseret
    reason_text: str | None = None
    revisit_on: dt.date | None = None  # ikke_nu


@dataclass(frozen=True)
class View:
    """What a worker hands back to be shown: the company (or why there is none)."""

    claim: Claim | None
    card: CompanyCard | None
    stats: PhonerStats | None
    empty_reason: str | None = None
    saved: Saved | None = None
    restored: Saved | None = None
    notes: list[str] = field(default_factory=list)

"""A campaign's settings: read them as one frozen view, change them validated and audited.

Every setting the campaign's rules read (calling hours, attempts, retry times, the
booking horizon and notice, follow-up and reminder days, the undo window, AAPOR's ``e``,
retention) is changed through :func:`change_settings`, which refuses a value out of its
range with a Danish message whose ``field`` is the setting's key (the front end words
the fix), writes an audit entry with the old and the new values, and returns the new
:class:`CampaignSettings`. The targeting settings (``list target``) and the mailbox
(the outbox) and the legal basis for calling ad-protected companies
(:func:`phoner.core.lists.targeting.set_protected_basis`) have their own use cases; they
are shown here too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from phoner.core import audit, vocabulary
from phoner.core.campaigns import get_campaign
from phoner.core.db import Database
from phoner.core.display import format_time
from phoner.core.errors import InvalidInput
from phoner.core.models import Campaign, Outcome
from phoner.core.queue.outcomes import DEFAULT_RETRY_MINUTES

#: The outcomes a company is called again after, and so have a retry time.
RETRY_OUTCOMES = (Outcome.IKKE_TRUFFET, Outcome.OPTAGET, Outcome.FORKERT_NUMMER)

#: Whole-number settings: key -> (lowest, highest, the unit in messages).
RANGES: dict[str, tuple[int, int, str]] = {
    "max_attempts": (1, 20, ""),
    "callback_grace_minutes": (0, 240, "minutter"),
    "horizon_days": (1, 365, "dage"),
    "min_notice_days": (0, 60, "arbejdsdage"),
    "followup_due_days": (0, 60, "arbejdsdage"),
    "reminder_days_before": (0, 30, "arbejdsdage"),
    "undo_minutes": (0, 60, "minutter"),
    "retention_days": (1, 3650, "dage"),
}
#: Longest retry time: a week.
RETRY_MAX_MINUTES = 7 * 24 * 60

#: What each setting is called in a message.
NAMES: dict[str, str] = {
    "calling_hours": "Ringetiden",
    "max_attempts": "Antal forsøg",
    "retry_minutes": "Tiden før et nyt forsøg",
    "callback_grace_minutes": "Ventetiden på en aftalt tilbageringning",
    "horizon_days": "Bookinghorisonten",
    "min_notice_days": "Mindste varsel",
    "any_jobcenter": "Konsulenter fra andre jobcentre",
    "followup_due_days": "Fristen for opfølgning",
    "reminder_days_before": "Påmindelsen",
    "undo_minutes": "Fortrydelsesfristen",
    "aapor_e": "AAPOR e",
    "retention_days": "Opbevaringstiden",
}

SETTINGS = tuple(NAMES)


@dataclass(frozen=True)
class CampaignSettings:
    """Every setting of one campaign, as plain data."""

    name: str
    script_path: str
    created_at: dt.datetime
    calling_start: dt.time
    calling_end: dt.time
    max_attempts: int
    retry_minutes: Mapping[str, int]
    callback_grace_minutes: int
    horizon_days: int
    min_notice_days: int
    any_jobcenter: bool
    followup_due_days: int
    reminder_days_before: int
    undo_minutes: int
    aapor_e: float
    retention_days: int | None
    mailbox: str | None
    min_employees: int | None
    max_employees: int | None
    municipalities: tuple[str, ...]
    industries: tuple[str, ...]
    recent_contact_days: int
    protected_basis: str | None = None
    protected_basis_by: str | None = None
    protected_basis_at: dt.datetime | None = None

    @classmethod
    def of(cls, c: Campaign) -> CampaignSettings:
        values: dict[str, Any] = {f.name: getattr(c, f.name) for f in fields(cls)}
        values["retry_minutes"] = MappingProxyType(retry_minutes(c))
        values["municipalities"] = tuple(c.municipalities)
        values["industries"] = tuple(c.industries)
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dt.datetime | dt.time):
                value = value.isoformat(timespec="minutes")
            elif isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def retry_minutes(c: Campaign) -> dict[str, int]:
    """The retry time of each retry outcome (the queue's default where none is set)."""
    return {
        o.value: int(
            c.retry_minutes.get(
                o.value, 0 if o == Outcome.FORKERT_NUMMER else DEFAULT_RETRY_MINUTES
            )
        )
        for o in RETRY_OUTCOMES
    }


def campaign_settings(*, db: Database, name: str) -> CampaignSettings:
    """The settings of the campaign called ``name``."""
    with db.session() as session:
        return CampaignSettings.of(get_campaign(session=session, name=name))


# --------------------------------------------------------------------------- parsing

_HOURS = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*[-–]\s*(\d{1,2})(?:[:.](\d{2}))?\s*$")


def parse_hours(text: str) -> tuple[dt.time, dt.time]:
    """``"09:00-16:00"`` (also ``9-16``, ``9.00–15.30``) as start and end."""
    m = _HOURS.match(text)
    try:
        if m is None:
            raise ValueError(text)
        start = dt.time(int(m[1]), int(m[2] or 0))
        end = dt.time(int(m[3]), int(m[4] or 0))
    except ValueError:
        raise InvalidInput(
            f"Ringetiden {text!r} er ikke et tidsrum.",
            hint='Skriv fra-til som "09:00-16:00".',
            field="calling_hours",
        ) from None
    return start, end


def parse_retry(texts: list[str]) -> dict[str, int]:
    """``["ikke_truffet=120", "optaget=30"]`` (labels work too) as outcome code -> minutes."""
    out: dict[str, int] = {}
    accepted = ", ".join(o.value for o in RETRY_OUTCOMES)
    for text in texts:
        word, sep, number = text.partition("=")
        outcome = vocabulary.lookup(Outcome, word) if sep else None
        if outcome not in RETRY_OUTCOMES:
            raise InvalidInput(
                f"{text!r} er ikke UDFALD=MINUTTER for et udfald, der ringes igen efter.",
                hint=f"Skriv fx ikke_truffet=120; udfaldene er {accepted}.",
                field="retry_minutes",
            )
        assert outcome is not None
        out[outcome.value] = _whole(number, "retry_minutes")
    return out


def parse_decimal(text: str, key: str) -> float:
    """A Danish or English decimal (``0,5`` or ``0.5``)."""
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise InvalidInput(
            f"{NAMES[key]} skal være et tal, fx 0,5 (ikke {text!r}).", field=key
        ) from None


def _whole(text: str, key: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{NAMES[key]} skal være et helt tal (ikke {text!r}).", field=key
        ) from None


# --------------------------------------------------------------------------- changing


def _check(key: str, value: Any) -> None:
    if key in RANGES and value is not None:
        low, high, unit = RANGES[key]
        if not low <= value <= high:
            raise InvalidInput(
                f"{NAMES[key]} skal være mellem {low} og {high}{' ' + unit if unit else ''} "
                f"(ikke {value}).",
                field=key,
            )
    elif key == "retry_minutes":
        for code, minutes in value.items():
            if not 0 <= minutes <= RETRY_MAX_MINUTES:
                raise InvalidInput(
                    f"{NAMES[key]} efter {Outcome(code).label.lower()} skal være mellem 0 og "
                    f"{RETRY_MAX_MINUTES} minutter (ikke {minutes}).",
                    field=key,
                )
    elif key == "aapor_e" and not 0.0 <= value <= 1.0:
        raise InvalidInput(
            f"{NAMES[key]} er en andel og skal være mellem 0 og 1 (ikke {value}).", field=key
        )


def _check_together(c: Campaign) -> None:
    if c.calling_start >= c.calling_end:
        raise InvalidInput(
            f"Ringetiden skal slutte efter den begynder ({format_time(c.calling_start)}–"
            f"{format_time(c.calling_end)}).",
            field="calling_hours",
        )
    if c.min_notice_days >= c.horizon_days:
        raise InvalidInput(
            f"Mindste varsel ({c.min_notice_days} arbejdsdage) skal være kortere end "
            f"bookinghorisonten ({c.horizon_days} dage); ellers kan intet bookes.",
            field="min_notice_days",
        )


def _plain(value: Any) -> Any:
    return value.isoformat(timespec="minutes") if isinstance(value, dt.time) else value


def change_settings(
    *, db: Database, name: str, actor: str, changes: Mapping[str, Any]
) -> tuple[CampaignSettings, dict[str, Any]]:
    """Change the campaign's settings in one unit of work; returns the new settings and
    the changed values (key -> (old, new)). ``changes`` uses the keys of :data:`SETTINGS`;
    ``calling_hours`` is a (start, end) pair, ``retry_minutes`` the outcomes to change."""
    unknown = set(changes) - set(SETTINGS)
    if unknown:
        raise InvalidInput(f"Ukendt kampagneindstilling: {', '.join(sorted(unknown))}.")
    actor = actor.strip()
    if not actor:
        raise InvalidInput("Angiv hvem der ændrer indstillingerne.", field="by")
    for key, value in changes.items():
        _check(key, value)
    with db.session(write=True) as session:
        c = get_campaign(session=session, name=name)
        old: dict[str, Any] = {}
        new: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "calling_hours":
                pairs = {"calling_start": value[0], "calling_end": value[1]}
            elif key == "retry_minutes":
                pairs = {key: {**retry_minutes(c), **value}}
            else:
                pairs = {key: value}
            for attr, v in pairs.items():
                if getattr(c, attr) != v:
                    old[attr], new[attr] = _plain(getattr(c, attr)), _plain(v)
                    setattr(c, attr, v)
        _check_together(c)
        if new:
            session.add(c)
            audit.record(
                session,
                actor=actor,
                action="settings",
                entity="campaign",
                entity_id=c.id,
                campaign_id=c.id,
                old=old,
                new=new,
            )
        session.flush()
        changed = {k: (old[k], new[k]) for k in new}
        return CampaignSettings.of(c), changed

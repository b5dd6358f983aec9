"""Calling hours: when a campaign's companies may be called."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from phoner.core.clock import TZ
from phoner.core.display import format_time
from phoner.core.models import Campaign
from phoner.core.queue._common import now_utc
from phoner.core.workdays import holiday_name


@dataclass(frozen=True)
class Closed:
    """Why nobody is called now, as data (a front end words it in its own language):
    ``kind`` is ``"weekend"``, ``"holiday"`` (``holiday`` names it) or ``"hours"``."""

    kind: str
    start: dt.time
    end: dt.time
    holiday: str | None = None


def closed_now(campaign: Campaign, now: dt.datetime | None = None) -> Closed | None:
    """Why nobody should be called at ``now``, or None inside calling hours.

    Calling hours are the campaign's ``calling_start``-``calling_end`` on weekdays in
    Copenhagen time, never on Danish public holidays nor on the days jobcenters are closed
    (Grundlovsdag, juleaftensdag, nytårsaftensdag; see :mod:`phoner.core.workdays`).
    """
    local = now_utc(now).astimezone(TZ)
    day = local.date()
    start, end = campaign.calling_start, campaign.calling_end
    if day.weekday() >= 5:
        return Closed("weekend", start, end)
    name = holiday_name(day)
    if name is not None:
        return Closed("holiday", start, end, holiday=name)
    if not (start <= local.time().replace(tzinfo=None) < end):
        return Closed("hours", start, end)
    return None


def outside_calling_hours(campaign: Campaign, now: dt.datetime | None = None) -> str | None:
    """Why nobody should be called at ``now`` (Danish), or None inside calling hours."""
    closed = closed_now(campaign, now)
    if closed is None:
        return None
    if closed.kind == "weekend":
        return "Der ringes ikke i weekenden."
    if closed.kind == "holiday":
        return f"Der ringes ikke på helligdage ({closed.holiday})."
    return f"Ringetiden er {format_time(closed.start)}–{format_time(closed.end)} på hverdage."

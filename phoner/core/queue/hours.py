"""Calling hours: when a campaign's companies may be called."""

from __future__ import annotations

import datetime as dt

from phoner.core.clock import TZ
from phoner.core.display import format_time
from phoner.core.models import Campaign
from phoner.core.queue._common import now_utc
from phoner.core.workdays import holiday_name


def outside_calling_hours(campaign: Campaign, now: dt.datetime | None = None) -> str | None:
    """Why nobody should be called at ``now`` (Danish), or None inside calling hours.

    Calling hours are the campaign's ``calling_start``-``calling_end`` on weekdays in
    Copenhagen time, never on Danish public holidays nor on the days jobcenters are closed
    (Grundlovsdag, juleaftensdag, nytårsaftensdag; see :mod:`phoner.core.workdays`).
    """
    local = now_utc(now).astimezone(TZ)
    day = local.date()
    if day.weekday() >= 5:
        return "Der ringes ikke i weekenden."
    name = holiday_name(day)
    if name is not None:
        return f"Der ringes ikke på helligdage ({name})."
    start, end = campaign.calling_start, campaign.calling_end
    if not (start <= local.time().replace(tzinfo=None) < end):
        return f"Ringetiden er {format_time(start)}–{format_time(end)} på hverdage."
    return None

"""Small helpers the queue modules share (not part of the queue's API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from phoner.core.errors import Conflict, InvalidInput, NotFound
from phoner.core.models import Campaign, utcnow


def now_utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(dt.UTC)


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"Kampagnen med id {campaign_id} findes ikke.")
    return campaign


def check_phoner(phoner: str) -> str:
    phoner = phoner.strip()
    if not phoner:
        raise InvalidInput("Skriv dit navn, før du henter en virksomhed.")
    if len(phoner) > 120:
        raise InvalidInput("Navnet er for langt (højst 120 tegn).")
    return phoner


def lost_lease(name: str) -> Conflict:
    return Conflict(
        f"Du har ikke længere {name} – reservationen udløb, og virksomheden er givet "
        "videre eller lagt tilbage i køen.",
        hint="Hent næste virksomhed. Udfaldet af dette opkald er IKKE gemt.",
    )


def rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)

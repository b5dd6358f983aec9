"""Campaigns: create, find, list, and change their settings."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from phoner.core import audit
from phoner.core.call_scripts import load_script
from phoner.core.errors import AlreadyExists, InvalidInput, NotFound
from phoner.core.models import Campaign, Company


def script_hash(path: Path) -> str:
    """Content hash of a call script: stored with every call to trace the script version."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_script_file(path: Path) -> None:
    if not path.is_file():
        raise InvalidInput(
            f"Opkaldsmanuskriptet findes ikke: {path}.",
            hint="Angiv en TOML-fil, fx --script scripts/fleksjob.toml.",
        )
    # The full schema check (raises ScriptError listing every problem with its location).
    load_script(path)


def create_campaign(
    *,
    session: Session,
    name: str,
    script: Path,
    actor: str = "system",
    **settings: Any,
) -> Campaign:
    """Create a campaign that uses the call script at ``script``."""
    name = name.strip()
    if not name:
        raise InvalidInput("Kampagnen skal have et navn.")
    if session.exec(select(Campaign).where(Campaign.name == name)).first() is not None:
        raise AlreadyExists(
            f"Der findes allerede en kampagne med navnet {name!r}.",
            hint="Vælg et andet navn, eller se kampagnerne med: phoner campaign list",
        )
    _check_script_file(script)
    for key, value in settings.items():
        if not hasattr(Campaign, key):
            raise InvalidInput(f"Ukendt kampagneindstilling: {key}.")
        if isinstance(value, int) and value < 0:
            raise InvalidInput(f"Indstillingen {key} kan ikke være negativ ({value}).")
    campaign = Campaign(
        name=name, script_path=str(script), script_hash=script_hash(script), **settings
    )
    session.add(campaign)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="campaign",
        entity_id=campaign.id,
        campaign_id=campaign.id,
        new={"name": name, "script": str(script), **_jsonable(settings)},
    )
    return campaign


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as JSON-safe values for the audit log (times and dates as ISO text)."""
    return {k: v.isoformat() if isinstance(v, dt.date | dt.time) else v for k, v in values.items()}


def get_campaign(*, session: Session, name: str) -> Campaign:
    campaign = session.exec(select(Campaign).where(Campaign.name == name)).first()
    if campaign is None:
        names = session.exec(select(Campaign.name).order_by(Campaign.name)).all()
        known = ", ".join(names) if names else "ingen endnu"
        raise NotFound(
            f"Kampagnen {name!r} findes ikke (kendte kampagner: {known}).",
            hint="Opret den med: phoner campaign create NAVN --script scripts/fleksjob.toml",
        )
    return campaign


def list_campaigns(*, session: Session) -> list[tuple[Campaign, int]]:
    """All campaigns with their number of companies, oldest first."""
    counts = (
        select(Company.campaign_id, func.count(col(Company.id)).label("n"))
        .group_by(col(Company.campaign_id))
        .subquery()
    )
    rows = session.exec(
        select(Campaign, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.campaign_id == Campaign.id)
        .order_by(col(Campaign.created_at), col(Campaign.id))
    ).all()
    return [(c, int(n)) for c, n in rows]

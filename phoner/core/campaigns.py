"""Campaigns: create, find, list, and change their settings, and load their call script.

A campaign stores the path of its call script as given when it was created; a relative
path is relative to the workspace (the folder with ``scripts/``), never to the current
directory. :func:`campaign_script` is the one way to load it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from phoner.core import audit
from phoner.core.call_scripts import CallScript, load_script
from phoner.core.errors import (
    CampaignExists,
    CampaignNotFound,
    InvalidInput,
    PhonerError,
    ScriptMissing,
)
from phoner.core.models import Campaign, Company


def script_hash(path: Path) -> str:
    """Content hash of a call script: stored with every call to trace the script version."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_script_file(path: Path) -> None:
    if not path.is_file():
        raise ScriptMissing(f"Opkaldsmanuskriptet findes ikke: {path}.")
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
        raise CampaignExists(
            f"Der findes allerede en kampagne med navnet {name!r}.", hint="Vælg et andet navn."
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
        raise CampaignNotFound(f"Kampagnen {name!r} findes ikke (kendte kampagner: {known}).")
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


def script_file(campaign: Campaign, *, workspace: Path | None) -> Path:
    """The campaign's call script file; a relative path is taken in ``workspace``."""
    path = Path(campaign.script_path)
    if not path.is_absolute() and workspace is not None:
        path = workspace / path
    return path


def campaign_script(campaign: Campaign, *, workspace: Path | None) -> CallScript:
    """The campaign's call script (see the module doc); raises ScriptError when unreadable."""
    return load_script(script_file(campaign, workspace=workspace))


def campaign_script_or_none(
    campaign: Campaign, *, workspace: Path | None, script_hash: str | None = None
) -> CallScript | None:
    """The campaign's call script, or None when it cannot be read or, given the hash of
    the version a call was made with, when it has changed since (answer keys of another
    version could mean other texts)."""
    try:
        script = campaign_script(campaign, workspace=workspace)
    except (PhonerError, OSError, ValueError):
        return None
    if script_hash and script_hash != script.hash:
        return None
    return script

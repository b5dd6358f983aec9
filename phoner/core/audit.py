"""The audit log: who changed what, when, from which value to which.

Services call :func:`record` in the same transaction as the change itself, so a change
and its audit entry are committed together or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from phoner.core.models import AuditLog


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    campaign_id: int | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditLog:
    entry = AuditLog(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        campaign_id=campaign_id,
        old=old,
        new=new,
        reason=reason,
    )
    session.add(entry)
    return entry

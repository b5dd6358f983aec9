"""A campaign built for load: one signed-off jobcenter, an active round, many companies
(bulk-inserted), and consultants with plenty of free time to book into."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from phoner.core import campaigns, geography
from phoner.core.db import Database
from phoner.core.models import (
    CallState,
    CampaignJobcenter,
    ClearingState,
    Company,
    Consultant,
    Jobcenter,
    Round,
    RoundState,
    utcnow,
)

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "fleksjob.toml"


@dataclass(frozen=True)
class LoadWorld:
    campaign_id: int
    jobcenter_id: int
    consultant_ids: list[int]
    companies: int


def build(
    db: Database,
    *,
    companies: int = 600,
    consultants: int = 4,
    name: str = "Belastning",
    **settings: Any,
) -> LoadWorld:
    settings = {
        "max_attempts": 5,
        "retry_minutes": {"ikke_truffet": 0, "optaget": 0, "forkert_nummer": 0},
        "min_notice_days": 1,
        **settings,
    }
    with db.session(write=True) as s:
        jc = Jobcenter(
            name=f"Jobcenter Ringsted ({name})",
            municipality="Ringsted",
            rar_area=geography.rar_area("Ringsted"),
        )
        s.add(jc)
        s.flush()
        assert jc.id is not None
        ks = [
            Consultant(
                name=f"Konsulent {i}",
                email=f"konsulent{i}@{name.lower()}.dk",
                jobcenter_id=jc.id,
                feed_token=secrets.token_urlsafe(24),
                work_start=dt.time(8, 0),
                work_end=dt.time(16, 0),
                max_visits_per_day=8,
                travel_buffer_minutes=15,
                visit_minutes=30,
            )
            for i in range(consultants)
        ]
        s.add_all(ks)
        campaign = campaigns.create_campaign(
            session=s, name=name, script=SCRIPT, actor="test", **settings
        )
        assert campaign.id is not None
        rnd = Round(campaign_id=campaign.id, number=1, state=RoundState.ACTIVE)
        s.add(rnd)
        s.add(
            CampaignJobcenter(
                campaign_id=campaign.id,
                jobcenter_id=jc.id,
                signed_off_at=utcnow(),
                signed_off_by="test",
                list_version=1,
            )
        )
        s.flush()
        rows = [
            {
                "campaign_id": campaign.id,
                "jobcenter_id": jc.id,
                "round_id": rnd.id,
                "cvr": f"{20000000 + i}",
                "name": f"Firma {i} ApS",
                "phones": ["+4533123456"],
                "municipality": "Ringsted",
                "contact_person": f"Kontakt {i}",
                "call_state": CallState.NEW,
                "clearing_state": ClearingState.PENDING,
                "extra": {},
                "flags": [],
                "attempts": 0,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
            for i in range(companies)
        ]
        s.execute(sa.insert(Company.__table__), rows)  # type: ignore[attr-defined]
        ids = [k.id for k in ks if k.id is not None]
        return LoadWorld(campaign.id, jc.id, ids, companies)

"""The world the importer fuzz tests run in: a campaign, a list, consultants, bookings."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from phoner.core import campaigns, demo
from phoner.core.db import Database
from phoner.core.lists import importer
from phoner.core.models import Booking, Company, Consultant, utcnow
from tests.support.fuzz.world import Base

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def base(db: Database, tmp_path: Path) -> Iterator[Base]:
    """A campaign with a small imported list, consultants and a few bookings."""
    src = demo.write_demo_list(tmp_path / "grundliste.csv", demo.demo_rows(12, seed=3))
    with db.session(write=True) as s:
        camp = campaigns.create_campaign(
            session=s, name="Fuzz", script=REPO / "scripts" / "fleksjob.toml"
        )
        importer.import_list(session=s, campaign=camp, path=src)
        companies = list(s.exec(select(Company)).all())
        k = Consultant(
            name="Karen",
            email="karen@fuzz.dk",
            jobcenter_id=companies[0].jobcenter_id or 0,
            feed_token=secrets.token_hex(16),
        )
        s.add(k)
        s.flush()
        start = utcnow() + dt.timedelta(days=3)
        bookings = []
        for i, co in enumerate(companies[:5]):
            assert co.id is not None and k.id is not None
            b = Booking(
                uid=secrets.token_hex(8),
                campaign_id=co.campaign_id,
                company_id=co.id,
                consultant_id=k.id,
                start=start + dt.timedelta(hours=2 * i),
                end=start + dt.timedelta(hours=2 * i + 1),
                booked_by="fuzz",
            )
            s.add(b)
            bookings.append(b)
        s.flush()
        assert camp.id is not None
        base = Base(
            db=db,
            campaign_id=camp.id,
            campaign_name=camp.name,
            cvrs=[c.cvr for c in companies if c.cvr],
            booking_ids=[b.id for b in bookings if b.id is not None],
            folder=tmp_path / "filer",
        )
    base.folder.mkdir()
    yield base
    shutil.rmtree(base.folder, ignore_errors=True)

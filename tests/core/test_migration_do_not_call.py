"""Migration 0011: the register and the campaign's basis come and go without losing a row,
and industry names stored before the DB07 fix (".00 Tømrer-…" under code "43.32") are
repaired to code and name."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from phoner.core.db import Database, alembic_config, head_revision
from phoner.core.models import Company
from tests.support import builders

TOMRER = "Tømrer- og bygningssnedkervirksomhed"


def test_0011_round_trip_repairs_split_industry_names(db: Database) -> None:
    with db.session(write=True) as s:
        camp = builders.campaign(s)
        builders.company(
            s, camp, None, None, "Gammel", industry=f".00 {TOMRER}", industry_code="43.32"
        )
        builders.company(s, camp, None, None, "Rigtig", industry="Bagerier", industry_code="107100")
        builders.company(
            s, camp, None, None, "Punktum", industry=".NET-udvikling", industry_code="62"
        )
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("company")}
    assert "blocked_id" not in columns
    assert "donotcall" not in sa.inspect(db.engine).get_table_names()
    db.upgrade()
    assert db.revision() == head_revision()
    with db.session() as s:
        got = {c.name: (c.industry_code, c.industry) for c in s.exec(select(Company)).all()}
    assert got == {
        "Gammel": ("433200", TOMRER),
        "Rigtig": ("107100", "Bagerier"),
        "Punktum": ("62", ".NET-udvikling"),
    }

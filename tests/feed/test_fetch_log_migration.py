"""Migration 0006: the per-request fetch log is summed up per consultant and day."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import select

from phoner.core.db import Database, alembic_config
from phoner.core.models import FeedFetchSummary, UTCDateTime
from tests.support.booking import make_world


def _migrate(db: Database, target: str, *, down: bool) -> None:
    from alembic import command

    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def test_fetch_rows_become_one_summary_per_consultant_and_local_day(db: Database) -> None:
    w = make_world(db)
    c1, c2 = w.consultant_ids
    _migrate(db, "0005", down=True)  # the revision before the summary
    # 23:30 UTC on 1 March is already 2 March in Copenhagen (CET, UTC+1)
    t = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
    rows = [
        (c1, t, 200, "Outlook"),
        (c1, t + dt.timedelta(hours=3), 304, "Outlook"),
        (c1, t + dt.timedelta(hours=1), 200, "Google"),
        (c1, dt.datetime(2027, 3, 1, 23, 30, tzinfo=dt.UTC), 200, "Apple"),
        (c2, t, 304, None),
    ]
    insert = sa.text(
        "INSERT INTO feedfetch (consultant_id, at, status, user_agent) VALUES (:c, :at, :s, :ua)"
    ).bindparams(sa.bindparam("at", type_=UTCDateTime()))
    with db.engine.begin() as conn:
        for c, at, status, ua in rows:
            conn.execute(insert, {"c": c, "at": at, "s": status, "ua": ua})
    db.upgrade()
    with db.session() as s:
        got = s.exec(
            select(FeedFetchSummary).order_by(FeedFetchSummary.consultant_id, FeedFetchSummary.day)
        ).all()
        assert not sa.inspect(db.engine).has_table("feedfetch")
    assert [(g.consultant_id, g.day, g.fetches, g.last_status, g.last_user_agent) for g in got] == [
        (c1, dt.date(2027, 3, 1), 3, 304, "Outlook"),
        (c1, dt.date(2027, 3, 2), 1, 200, "Apple"),
        (c2, dt.date(2027, 3, 1), 1, 304, None),
    ]
    assert (got[0].first_at, got[0].last_at) == (t, t + dt.timedelta(hours=3))
    # and back: one fetch row per summary
    _migrate(db, "0005", down=True)  # the revision before the summary
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM feedfetch")).scalar_one() == 3
    db.upgrade()

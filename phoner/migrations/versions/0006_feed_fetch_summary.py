"""feed fetch log: one summary row per consultant and day instead of one row per request

Subscribed clients poll every hour, forever: ``feedfetch`` grew by one row per request
(273 consultants x 24 a day is 2.4 million rows a year) to answer one question, who has
not seen their bookings (``consultant.last_feed_fetch_at``). ``feedfetchsummary`` keeps,
per consultant and Copenhagen day, the number of fetches, the first and the last, and how
the last was answered. Existing rows are summed up into it, then ``feedfetch`` is dropped.
Downgrade recreates ``feedfetch`` with one row per summary (its last fetch).

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-10 12:00:00
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from phoner.core.clock import local_date

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):  # SQLite without type information
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _stored(value: dt.datetime) -> dt.datetime:
    """As models.UTCDateTime stores it: naive UTC on SQLite."""
    if op.get_bind().dialect.name == "sqlite":
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _summary_table() -> sa.Table:
    return op.create_table(
        "feedfetchsummary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fetches", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=False),
        sa.Column("last_user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["consultant_id"], ["consultant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultant_id", "day", name="uq_feedfetchsummary_consultant_day"),
    )


def upgrade() -> None:
    summary = _summary_table()
    with op.batch_alter_table("feedfetchsummary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedfetchsummary_consultant_id"), ["consultant_id"], unique=False
        )
    fetch = sa.table(
        "feedfetch",
        sa.column("consultant_id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("status", sa.Integer()),
        sa.column("user_agent", sa.String()),
    )
    days: dict[tuple[int, dt.date], dict[str, Any]] = {}
    rows = op.get_bind().execute(
        sa.select(fetch.c.consultant_id, fetch.c.at, fetch.c.status, fetch.c.user_agent)
    )
    for cid, raw_at, status, agent in rows:
        at = _aware(raw_at)
        key = (int(cid), local_date(at))
        day = days.get(key)
        if day is None:
            days[key] = {"fetches": 1, "first": at, "last": at, "status": status, "ua": agent}
            continue
        day["fetches"] += 1
        day["first"] = min(day["first"], at)
        if at >= day["last"]:
            day["last"], day["status"], day["ua"] = at, status, agent
    if days:
        op.bulk_insert(
            summary,
            [
                {
                    "consultant_id": cid,
                    "day": day,
                    "fetches": v["fetches"],
                    "first_at": _stored(v["first"]),
                    "last_at": _stored(v["last"]),
                    "last_status": v["status"],
                    "last_user_agent": v["ua"],
                }
                for (cid, day), v in sorted(days.items())
            ],
        )
    with op.batch_alter_table("feedfetch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedfetch_consultant_id"))
    op.drop_table("feedfetch")


def downgrade() -> None:
    fetch = op.create_table(
        "feedfetch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultant_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["consultant_id"], ["consultant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedfetch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedfetch_consultant_id"), ["consultant_id"], unique=False
        )
    summary = sa.table(
        "feedfetchsummary",
        sa.column("consultant_id", sa.Integer()),
        sa.column("last_at", sa.DateTime(timezone=True)),
        sa.column("last_status", sa.Integer()),
        sa.column("last_user_agent", sa.String()),
    )
    op.execute(
        fetch.insert().from_select(
            ["consultant_id", "at", "status", "user_agent"],
            sa.select(
                summary.c.consultant_id,
                summary.c.last_at,
                summary.c.last_status,
                summary.c.last_user_agent,
            ),
        )
    )
    with op.batch_alter_table("feedfetchsummary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedfetchsummary_consultant_id"))
    op.drop_table("feedfetchsummary")

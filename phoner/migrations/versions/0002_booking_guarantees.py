"""Booking guarantees held by the database: one live booking per company and campaign;
on PostgreSQL, no overlapping time (travel buffer included) for one consultant.

``live`` starts false for booked visits that have ended (so they never block the next
booking) and true for every other one. Where a race before this revision left a company
with several booked visits still to come (issue 15), the first booked stays live and
the others are left as they are (still booked, still in the feed) for a coordinator to
cancel: a migration does not cancel visits.

``blocked_end`` (end plus the consultant's travel buffer) is set by every booking from
now on; visits booked before stay NULL and block only their own time in the exclusion
constraint (the booking service's check still applies the buffer to them).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 19:49:03.117117
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BOOKING = sa.table(
    "booking",
    sa.column("id", sa.Integer()),
    sa.column("campaign_id", sa.Integer()),
    sa.column("company_id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("end", sa.DateTime(timezone=True)),
    sa.column("live", sa.Boolean()),
)


#: the bookings the unique index counts (as in models.Booking)
_LIVE = sa.text("status = 'booked' AND live")


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("live", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("blocked_end", sa.DateTime(timezone=True), nullable=True))

    now = dt.datetime.now(dt.UTC)
    if not _is_postgresql():
        now = now.replace(tzinfo=None)  # SQLite holds naive UTC (models.UTCDateTime)
    b = _BOOKING
    op.execute(
        b.update()
        .where(b.c.status == "booked", b.c.end <= sa.literal(now, sa.DateTime()))
        .values(live=False)
    )
    first = (
        sa.select(sa.func.min(b.c.id))
        .where(b.c.status == "booked", b.c.live.is_(True))
        .group_by(b.c.campaign_id, b.c.company_id)
        .scalar_subquery()
    )
    op.execute(
        b.update()
        .where(b.c.status == "booked", b.c.live.is_(True), b.c.id.not_in(first))
        .values(live=False)
    )

    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index(
            "uq_booking_live_company",
            ["campaign_id", "company_id"],
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        )
    if _is_postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE booking ADD CONSTRAINT ex_booking_consultant_time "
            "EXCLUDE USING gist (consultant_id WITH =, "
            "tstzrange(start, coalesce(blocked_end, \"end\"), '[)') WITH &&) "
            "WHERE (status = 'booked')"
        )


def downgrade() -> None:
    if _is_postgresql():
        op.execute("ALTER TABLE booking DROP CONSTRAINT IF EXISTS ex_booking_consultant_time")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_booking_live_company",
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        )
        batch_op.drop_column("blocked_end")
        batch_op.drop_column("live")

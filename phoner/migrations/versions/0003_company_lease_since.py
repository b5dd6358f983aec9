"""company lease_since: when the phoner took the company

The coordinator's dashboard lists held companies with who holds them and since when
(issue 15: the heartbeat lease). Nullable: leases taken before this revision show no
start time until they are renewed by a new claim.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 19:49:43.325999
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode: SQLite (>= 3.35) adds and drops a plain column in
# place, where batch mode would copy the whole company table and, on downgrade, trip over
# the foreign keys that point at it.
def upgrade() -> None:
    op.add_column('company', sa.Column('lease_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('company', 'lease_since')

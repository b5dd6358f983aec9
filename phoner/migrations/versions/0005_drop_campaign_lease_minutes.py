"""campaign: drop lease_minutes

The calling lease is no longer a campaign setting: claims hold a company for the LEASE
and HEARTBEAT constants of phoner.core.queue.claims (issue 15), and nothing read the
column any more. Downgrade puts it back with its old default of 5 minutes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Batch mode that never recreates the table: SQLite (>= 3.35) drops and adds a plain column
# in place. Recreating campaign would DROP TABLE it under the foreign keys of every
# company, call and booking pointing at it (refused with foreign keys on; see 0003).
def upgrade() -> None:
    with op.batch_alter_table("campaign", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("lease_minutes")


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("lease_minutes", sa.Integer(), server_default="5", nullable=False)
        )

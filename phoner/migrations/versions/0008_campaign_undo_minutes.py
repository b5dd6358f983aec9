"""campaign: undo_minutes

How long a phoner may take back an outcome becomes a campaign setting (``phoner campaign
set NAME --undo-minutes N``, issue 14); it was the constant UNDO_WINDOW of 5 minutes in
phoner.core.queue.undo, which stays the default for existing campaigns.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Batch mode that never recreates the table (see 0005): SQLite adds a plain column in place.
def upgrade() -> None:
    with op.batch_alter_table("campaign", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("undo_minutes", sa.Integer(), server_default="5", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("undo_minutes")

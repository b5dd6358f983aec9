"""callattempt: reason, reason_text, revisit_on

"Ikke interesseret" gets a structured reason (ingen opgaver / for lille / bruger kun egne
medarbejdere / dårlige erfaringer / andet + text), and the new outcome "Ikke nu, men
senere" (ikke_nu) the day the company expects a need (issue 14). Outcomes are stored as
plain strings (no native enum, no check constraint), so the new outcome needs no change.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Batch mode that never recreates the table (see 0005): SQLite adds plain columns in place.
def upgrade() -> None:
    with op.batch_alter_table("callattempt", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("reason_text", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("revisit_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callattempt", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("revisit_on")
        batch_op.drop_column("reason_text")
        batch_op.drop_column("reason")

"""list import: one record per run of phoner list import, for batches and resume

A big list import is written in short batches (issue 15: a 400,000-row import held the
SQLite write lock for 33 s and the phoners' saves failed). Each batch commits its
companies together with the counters of its ``listimport`` row, so a re-run of the same
file after a crash resumes it. A new table only: nothing existing changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listimport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("jobcenter_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("out_of_target", sa.Integer(), nullable=False),
        sa.Column("proposed_removal", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["jobcenter_id"], ["jobcenter.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_listimport_file", "listimport", ["campaign_id", "file_sha256"])


def downgrade() -> None:
    op.drop_index("ix_listimport_file", table_name="listimport")
    op.drop_table("listimport")

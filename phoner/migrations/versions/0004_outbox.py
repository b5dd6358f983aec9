"""outbox: e-mails leave through a table; consultants' delivery; campaign mailbox

Issue 12: invitations, cancellations, reminders and notices are written to
``outboxmessage`` in the same transaction as the change that causes them, and a sender
(``phoner serve`` or ``phoner outbox send``) delivers them. ``consultant.delivery`` says
whether a consultant gets invitations, only the feed, or both (existing consultants get
invitations, the default). ``campaign.mailbox`` is the organizer's and sender's address.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outboxmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_outboxmessage_campaign_id", "outboxmessage", ["campaign_id"], unique=False
    )
    op.create_index(
        "ix_outboxmessage_due", "outboxmessage", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        "ix_outboxmessage_booking", "outboxmessage", ["booking_id", "sequence", "id"], unique=False
    )
    # Plain ADD COLUMN (SQLite >= 3.35 does it in place, like 0003).
    op.add_column(
        "consultant",
        sa.Column(
            "delivery", sa.String(length=32), server_default="invitation", nullable=False
        ),
    )
    op.add_column("campaign", sa.Column("mailbox", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("campaign", "mailbox")
    op.drop_column("consultant", "delivery")
    op.drop_index("ix_outboxmessage_booking", table_name="outboxmessage")
    op.drop_index("ix_outboxmessage_due", table_name="outboxmessage")
    op.drop_index("ix_outboxmessage_campaign_id", table_name="outboxmessage")
    op.drop_table("outboxmessage")

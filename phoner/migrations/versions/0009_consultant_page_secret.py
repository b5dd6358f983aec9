"""consultant: page_secret

The secret behind a consultant's web pages (issue 13): the visit page links in their
calendar events (``/besoeg/<visit>-<tag>``) and their own page (``/konsulent/...``) are
HMAC tags derived from it (:mod:`phoner.core.visit_pages`). It never appears in a URL;
``phoner calendars rotate`` replaces it with the feed token, so every old link dies at once.

Every existing consultant gets a fresh secret of 256 bits from :mod:`secrets`. The column
is added NOT NULL with an empty server default (a plain in-place ADD COLUMN on SQLite, no
table rebuild of a table other tables reference); an empty secret opens no page.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultant", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("page_secret", sa.String(length=64), server_default="", nullable=False)
        )
    bind = op.get_bind()
    consultant = sa.table("consultant", sa.column("id", sa.Integer), sa.column("page_secret"))
    ids = [row[0] for row in bind.execute(sa.select(consultant.c.id)).all()]
    for cid in ids:
        bind.execute(
            consultant.update()
            .where(consultant.c.id == cid)
            .values(page_secret=secrets.token_urlsafe(32))
        )


def downgrade() -> None:
    with op.batch_alter_table("consultant", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("page_secret")

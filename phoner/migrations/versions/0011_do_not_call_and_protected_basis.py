"""do-not-call register, the campaign's legal basis for ad-protected companies

Issue 11, section 4. ``donotcall`` is the register of companies that asked never to be
contacted again (recorded by a phoner's outcome, by a coordinator, or imported); every
company matching an active entry carries its id in ``company.blocked_id`` and is never
handed out. ``campaign.protected_basis`` (+ who, when) is the recorded legal basis for
calling ad-protected (reklamebeskyttede) companies. Both new columns are plain nullable
columns: SQLite adds them in place.

Industry names stored before the DB07 fix ("43.32" + ".00 Tømrer-...") are repaired to
code "433200" and name "Tømrer-..." (the import now stores them so).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPLIT_NAME = re.compile(r"^\.(\d{2})\s*[-–:]?\s*(.*)$", re.DOTALL)


def upgrade() -> None:
    op.create_table(
        "donotcall",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cvr", sa.String(length=8), nullable=True),
        sa.Column("p_number", sa.String(length=10), nullable=True),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("company_name", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("campaign_name", sa.String(length=120), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=120), nullable=True),
        sa.Column("lift_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_donotcall_cvr", "donotcall", ["cvr"])
    op.create_index("ix_donotcall_p_number", "donotcall", ["p_number"])
    with op.batch_alter_table("company", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("blocked_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("campaign", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("protected_basis", sa.String(length=1000), nullable=True))
        batch_op.add_column(
            sa.Column("protected_basis_by", sa.String(length=120), nullable=True)
        )
        batch_op.add_column(
            sa.Column("protected_basis_at", sa.DateTime(timezone=True), nullable=True)
        )
    _repair_industries()


def _repair_industries() -> None:
    """``("43.32", ".00 Tømrer-...")`` -> ``("433200", "Tømrer-...")``."""
    company = sa.table(
        "company",
        sa.column("id", sa.Integer()),
        sa.column("industry", sa.String()),
        sa.column("industry_code", sa.String()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(company.c.id, company.c.industry, company.c.industry_code).where(
            company.c.industry.like(".%"), company.c.industry_code.like("%.%")
        )
    ).all()
    for cid, name, code in rows:
        m = _SPLIT_NAME.match(name or "")
        if m is None or not re.fullmatch(r"\d{2}\.\d{2}", code or ""):
            continue
        bind.execute(
            company.update()
            .where(company.c.id == cid)
            .values(industry=m.group(2).strip() or None, industry_code=code.replace(".", "") + m.group(1))
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("protected_basis_at")
        batch_op.drop_column("protected_basis_by")
        batch_op.drop_column("protected_basis")
    with op.batch_alter_table("company", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("blocked_id")
    op.drop_index("ix_donotcall_p_number", table_name="donotcall")
    op.drop_index("ix_donotcall_cvr", table_name="donotcall")
    op.drop_table("donotcall")

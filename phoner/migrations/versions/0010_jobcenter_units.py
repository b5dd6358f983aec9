"""jobcenter: kind, and units without a municipality

A campaign may include units that are not municipalities (Jobservice Danmark, a phoning
contractor, an inter-municipal team; issue 11): ``kind`` says which a jobcenter is
(``kommune`` or ``enhed``, existing rows are municipalities) and ``municipality`` may be
empty. Downgrade gives a unit its own name as municipality.

SQLite cannot make a column nullable in place, and recreating the table the usual batch
way (copy, DROP TABLE, rename) is refused under the foreign keys of every consultant,
company and campaign part that points at a jobcenter. So on SQLite the rows are put
aside, the table is dropped with the foreign keys deferred to the end of the transaction
and the rows go back into the new table under the same ids, which settles every
reference before the commit checks them (rows in a table that nothing references yet
would not: the copy must go in after the drop).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "id, name, kind, municipality, municipality_code, rar_area"


def _recreate_sqlite(*, nullable: bool) -> None:
    """Rebuild jobcenter on SQLite with ``kind`` and ``municipality`` (NULL allowed or not)."""
    not_null = "" if nullable else " NOT NULL"
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute(
        "CREATE TABLE _jobcenter_new ("
        "id INTEGER NOT NULL, "
        "name VARCHAR(120) NOT NULL, "
        "kind VARCHAR(32) DEFAULT 'kommune' NOT NULL, "
        f"municipality VARCHAR(80){not_null}, "
        "municipality_code INTEGER, "
        "rar_area VARCHAR(40), "
        "PRIMARY KEY (id))"
    )
    op.execute(f"CREATE TEMP TABLE _jobcenter_rows AS SELECT {_COLUMNS} FROM jobcenter")
    op.execute("DROP INDEX IF EXISTS ix_jobcenter_name")
    op.execute("DROP TABLE jobcenter")
    op.execute("ALTER TABLE _jobcenter_new RENAME TO jobcenter")
    op.execute(f"INSERT INTO jobcenter ({_COLUMNS}) SELECT {_COLUMNS} FROM _jobcenter_rows")
    op.execute("DROP TABLE _jobcenter_rows")
    op.execute("CREATE UNIQUE INDEX ix_jobcenter_name ON jobcenter (name)")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("jobcenter", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=32), server_default="kommune", nullable=False)
        )
    if sqlite:
        _recreate_sqlite(nullable=True)
    else:
        with op.batch_alter_table("jobcenter", schema=None) as batch_op:
            batch_op.alter_column(
                "municipality", existing_type=sa.String(length=80), nullable=True
            )


def downgrade() -> None:
    op.execute("UPDATE jobcenter SET municipality = name WHERE municipality IS NULL")
    if op.get_bind().dialect.name == "sqlite":
        _recreate_sqlite(nullable=False)
        with op.batch_alter_table("jobcenter", schema=None, recreate="never") as batch_op:
            batch_op.drop_column("kind")
        return
    with op.batch_alter_table("jobcenter", schema=None) as batch_op:
        batch_op.alter_column("municipality", existing_type=sa.String(length=80), nullable=False)
        batch_op.drop_column("kind")

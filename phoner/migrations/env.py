"""Alembic environment: runs on the connection phoner hands in (see phoner.core.db)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

from phoner.core import models
from phoner.core.models import UTCDateTime

target_metadata = SQLModel.metadata
assert models.Company.__tablename__ in target_metadata.tables


def render_item(type_: str, obj: Any, autogen_context: Any) -> Any:
    """Render phoner's column types as plain SQLAlchemy types in migration files.

    Migrations must not depend on application classes that may change later.
    """
    if type_ != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, sa.Enum):
        return f"sa.String(length={obj.length})"
    if type(obj).__name__ == "AutoString":
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        url = context.config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("phoner runs migrations on a connection it hands in")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

"""Load tests on PostgreSQL run in a database of their own (``<test database>_hardening``):
sixteen worker processes and kill -9 must not disturb other PostgreSQL tests running at
the same time against the shared test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from phoner.core.db import Database
from tests.support.postgres import pg_url_or_skip, reset_postgres

SUFFIX = "_hardening"


def _own_database(url: str) -> str:
    parsed = sa.make_url(url)
    name = f"{parsed.database or 'phoner_test'}"
    if not name.endswith(SUFFIX):
        name += SUFFIX
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def pg_db() -> Iterator[Database]:
    db = reset_postgres(_own_database(pg_url_or_skip()))
    yield db
    db.dispose()

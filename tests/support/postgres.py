"""The PostgreSQL test database: this worker's URL (created if missing) or a skip, and a reset.

``PHONER_TEST_POSTGRES_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/phoner_test)
turns the PostgreSQL side on; each pytest-xdist worker gets its own database. With
``PHONER_TEST_POSTGRES_REQUIRED=1`` (as .ci/run sets) an unreachable server fails the run.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from phoner.core.db import Database, make_engine

PG_URL_ENV = "PHONER_TEST_POSTGRES_URL"
PG_REQUIRED_ENV = "PHONER_TEST_POSTGRES_REQUIRED"

_pg_skip_reason: str | None = None


def _worker_suffix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"_{worker}" if worker else ""


def postgres_url() -> str | None:
    """The URL of this worker's PostgreSQL test database (created if missing), or None."""
    global _pg_skip_reason
    base = os.environ.get(PG_URL_ENV)
    if not base:
        _pg_skip_reason = f"{PG_URL_ENV} er ikke sat"
        return None
    url = sa.make_url(base)
    url = url.set(database=f"{url.database or 'phoner_test'}{_worker_suffix()}")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    except sa.exc.OperationalError as exc:
        if os.environ.get(PG_REQUIRED_ENV):
            raise RuntimeError(f"PostgreSQL is required but unreachable at {base}") from exc
        _pg_skip_reason = f"PostgreSQL kan ikke nås ({base})"
        return None
    finally:
        admin.dispose()
    return url.render_as_string(hide_password=False)


_PG_URL: str | None = None
_PG_CHECKED = False


def pg_url_or_skip() -> str:
    global _PG_URL, _PG_CHECKED
    if not _PG_CHECKED:
        _PG_URL = postgres_url()
        _PG_CHECKED = True
    if _PG_URL is None:
        pytest.skip(f"PostgreSQL-test sprunget over: {_pg_skip_reason}")
    return _PG_URL


def reset_postgres(url: str) -> Database:
    """An empty, freshly migrated PostgreSQL database."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    db = Database(engine)
    db.upgrade()
    return db

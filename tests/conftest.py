"""Shared fixtures: a migrated database on SQLite always, on PostgreSQL when configured.

``PHONER_TEST_POSTGRES_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/phoner_test)
turns the PostgreSQL side on; each pytest-xdist worker gets its own database. Without it,
PostgreSQL tests are skipped and the run says so. With ``PHONER_TEST_POSTGRES_REQUIRED=1``
(as .ci/run sets) an unreachable server fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from phoner.core.db import Database, make_engine
from tests.support.postgres import PG_URL_ENV, pg_url_or_skip, reset_postgres

pytest_plugins = ["tests.support.smtp"]  # the smtp_server fixture (a loopback aiosmtpd)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(make_engine(f"sqlite:///{path}"))
    db.upgrade()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    path = tmp_path / "phoner.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    db = Database(make_engine(sqlite_url))
    yield db
    db.dispose()


@pytest.fixture
def pg_db() -> Iterator[Database]:
    db = reset_postgres(pg_url_or_skip())
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostgreSQL (skipped without a server)."""
    fixture = "sqlite_db" if request.param == "sqlite" else "pg_db"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def db_url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def _danish_again() -> Iterator[None]:
    """Every test starts in Danish: an app made with ``lang="en"`` switches the TUI's
    process-wide catalog, and the next test on the same worker must not inherit it."""
    yield
    i18n = sys.modules.get("phoner.tui.i18n")
    if i18n is not None:
        i18n.set_language("da")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace folder with the repository's call scripts, as the cwd."""
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copytree(REPO / "scripts", ws / "scripts")
    monkeypatch.chdir(ws)
    monkeypatch.delenv("PHONER_DB", raising=False)
    return ws


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not os.environ.get(PG_URL_ENV, "").strip():
        terminalreporter.write_line(
            f"BEMÆRK: PostgreSQL-testene blev sprunget over ({PG_URL_ENV} er ikke sat). "
            f"Sæt {PG_URL_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/phoner_test "
            "for at køre dem (.ci/run gør det).",
            yellow=True,
        )

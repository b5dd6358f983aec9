"""A full disk and a read-only database file: a clear Danish error, never a traceback,
and nothing already recorded is lost — through the services and through the CLI.

A full disk is simulated with SQLite's ``PRAGMA max_page_count`` (set on every new
connection, it caps the file at its current size: the next write that needs a new page
fails with "database or disk is full", exactly as on a full disk). A read-only file is
made immutable with ``chattr +i`` (root ignores file modes), or ``chmod 444`` when the
tests do not run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import select
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core import demo
from phoner.core.db import Database, make_engine
from phoner.core.errors import DatabaseError
from phoner.core.models import CallAttempt, Company, Outcome
from phoner.core.queue import claims, outcomes
from tests.support.load import world

runner = CliRunner()
DISK_FULL = "Disken er fuld"
READ_ONLY = "Databasen er skrivebeskyttet"


def _cap_size(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # max_page_count cannot go below the current size: 1 means "exactly as big as now"
    dbapi_conn.execute("PRAGMA max_page_count = 1")


@contextlib.contextmanager
def full_disk(engine: sa.Engine | type[sa.Engine] = sa.Engine) -> Iterator[None]:
    """Every connection opened meanwhile (by default: by any engine) sees a full disk."""
    event.listen(engine, "connect", _cap_size)
    try:
        yield
    finally:
        event.remove(engine, "connect", _cap_size)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make the database file read-only for this process."""
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)  # the file alone holds the data
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if shutil.which("chattr") is None:
        pytest.skip("chattr findes ikke, og root kan skrive i en skrivebeskyttet fil")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i virker ikke her: {done.stderr.decode(errors='replace')}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _path(db: Database) -> Path:
    assert db.engine.url.database
    return Path(db.engine.url.database)


def _record(db: Database, campaign_id: int, note: str = "") -> int:
    claim = claims.claim_next(db=db, campaign_id=campaign_id, phoner="anne", ignore_hours=True)
    assert claim is not None
    attempt = outcomes.record_outcome(
        db=db,
        company_id=claim.company_id,
        lease_token=claim.lease_token,
        phoner="anne",
        outcome=Outcome.IKKE_INTERESSERET,
        answers={},
        needs={},
        note=note or None,
    )
    assert attempt.id is not None
    return attempt.id


def _checkpoint(db: Database) -> None:
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()


def _intact(url: str, acked: set[int]) -> None:
    db = Database(make_engine(url))
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        with db.session() as s:
            stored = {a.id for a in s.exec(select(CallAttempt)).all()}
            for attempt in s.exec(select(CallAttempt)).all():
                co = s.get(Company, attempt.company_id)
                assert co is not None and co.attempts >= 1
        assert acked <= stored
        assert stored == acked, "a write that failed left something behind"
    finally:
        db.dispose()


# --------------------------------------------------------------------------- full disk


def test_full_disk_through_the_service(sqlite_db: Database, sqlite_url: str) -> None:
    w = world.build(sqlite_db, companies=300)
    acked = {_record(sqlite_db, w.campaign_id) for _ in range(3)}
    _checkpoint(sqlite_db)

    full = Database(make_engine(sqlite_url))
    with full_disk(full.engine):
        error: DatabaseError | None = None
        for _ in range(300):  # fill the free room left in the pages, then hit the cap
            try:
                acked.add(_record(full, w.campaign_id, note="lang note " * 200))
            except DatabaseError as exc:
                error = exc
                break
        full.dispose()
    assert error is not None, "the capped database never filled up"
    assert DISK_FULL in error.message and error.hint and "intakt" in error.hint
    _intact(sqlite_url, acked)
    # space freed: the phoner records the call that failed, nothing was lost meanwhile
    acked.add(_record(sqlite_db, w.campaign_id))
    _intact(sqlite_url, acked)


def test_full_disk_through_the_cli(sqlite_url: str, workspace: Path) -> None:
    assert runner.invoke(app, ["--db", sqlite_url, "init"]).exit_code == 0
    created = runner.invoke(
        app,
        ["--db", sqlite_url, "campaign", "create", "Efterår", "--script", "scripts/fleksjob.toml"],
    )
    assert created.exit_code == 0, created.output
    small = demo.write_demo_list(workspace / "lille.csv", demo.demo_rows(20, seed=1))
    first = runner.invoke(
        app, ["--db", sqlite_url, "list", "import", str(small), "--campaign", "Efterår"]
    )
    assert first.exit_code == 0, first.output
    big = demo.write_demo_list(workspace / "stor.csv", demo.demo_rows(3000, seed=2))
    with full_disk():
        result = runner.invoke(
            app, ["--db", sqlite_url, "list", "import", str(big), "--campaign", "Efterår"]
        )
    assert result.exit_code == DatabaseError.exit_code, result.output
    assert DISK_FULL in result.output
    assert "Traceback" not in result.output and "sqlite3" not in result.output
    # the first list is all there, nothing of the second
    db = Database(make_engine(sqlite_url))
    try:
        with db.session() as s:
            assert len(s.exec(select(Company.id)).all()) == 20
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        db.dispose()


# --------------------------------------------------------------------------- read-only


def test_read_only_file_through_the_service(sqlite_db: Database, sqlite_url: str) -> None:
    w = world.build(sqlite_db, companies=10)
    acked = {_record(sqlite_db, w.campaign_id)}
    _checkpoint(sqlite_db)
    with read_only(_path(sqlite_db)):
        db = Database(make_engine(sqlite_url))
        try:
            with pytest.raises(DatabaseError) as caught:
                _record(db, w.campaign_id)
            assert READ_ONLY in caught.value.message
            assert caught.value.hint and "Intet er gået tabt" in caught.value.hint
            with db.session() as s:  # reading still works
                assert {a.id for a in s.exec(select(CallAttempt)).all()} == acked
        finally:
            db.dispose()
    _intact(sqlite_url, acked)


def test_read_only_file_through_the_cli(sqlite_url: str, workspace: Path) -> None:
    assert runner.invoke(app, ["--db", sqlite_url, "init"]).exit_code == 0
    created = runner.invoke(
        app,
        ["--db", sqlite_url, "campaign", "create", "Efterår", "--script", "scripts/fleksjob.toml"],
    )
    assert created.exit_code == 0, created.output
    path = Path(sa.make_url(sqlite_url).database or "")
    db = Database(make_engine(sqlite_url))
    _checkpoint(db)
    with read_only(path):
        listed = runner.invoke(app, ["--db", sqlite_url, "campaign", "list"])
        assert listed.exit_code == 0, listed.output
        assert "Efterår" in listed.output
        result = runner.invoke(
            app,
            [
                "--db",
                sqlite_url,
                "campaign",
                "create",
                "Forår",
                "--script",
                "scripts/fleksjob.toml",
            ],
        )
    assert result.exit_code == DatabaseError.exit_code, result.output
    assert READ_ONLY in result.output
    assert "Traceback" not in result.output
    again = runner.invoke(app, ["--db", sqlite_url, "campaign", "list"])
    assert "Efterår" in again.output and "Forår" not in again.output

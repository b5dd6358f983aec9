"""Backup of a live SQLite database while phoners write, and restore."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from sqlmodel import func, select

from phoner.core import maintenance
from phoner.core.db import Database, make_engine, open_database
from phoner.core.errors import DatabaseError, InvalidInput, PhonerError
from phoner.core.models import AuditLog, Jobcenter


def _writer(url: str, seconds: float, started: mp.synchronize.Event) -> None:
    """Commit pairs of rows: a consistent snapshot always holds an even number."""
    db = Database(make_engine(url))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with db.session(write=True) as s:
            s.add(AuditLog(actor="w", action="a", entity="x"))
            s.add(AuditLog(actor="w", action="b", entity="x"))
        started.set()
    db.dispose()


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(conn.execute("SELECT count(*) FROM auditlog").fetchone()[0])
    finally:
        conn.close()


def test_backup_while_writing_is_consistent(sqlite_url: str, tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    started = ctx.Event()
    writers = [ctx.Process(target=_writer, args=(sqlite_url, 3.0, started)) for _ in range(2)]
    for w in writers:
        w.start()
    assert started.wait(20)
    db = open_database(sqlite_url)
    counts = []
    for i in range(3):
        result = maintenance.backup(db=db, target=tmp_path / f"b{i}.db")
        counts.append(_count(result.path))
        assert result.revision is not None
    for w in writers:
        w.join(30)
        assert w.exitcode == 0
    assert all(c % 2 == 0 for c in counts), counts
    assert counts[-1] > 0
    db.dispose()


def test_restore_puts_the_backup_back(sqlite_url: str, tmp_path: Path) -> None:
    db = open_database(sqlite_url)
    with db.session(write=True) as s:
        s.add(Jobcenter(name="Jobcenter Ringsted", municipality="Ringsted"))
    backup = maintenance.backup(db=db, target=tmp_path / "b.db").path
    with db.session(write=True) as s:
        s.add(Jobcenter(name="Jobcenter Køge", municipality="Køge"))
    maintenance.restore(db=db, source=backup)
    with db.session() as s:
        assert [j.name for j in s.exec(select(Jobcenter))] == ["Jobcenter Ringsted"]
        assert s.exec(select(func.count()).select_from(AuditLog)).one() == 0
    assert maintenance.integrity_ok(db)
    assert not maintenance.needs_upgrade(db)
    db.dispose()


def test_backup_refuses_to_overwrite(sqlite_db: Database, tmp_path: Path) -> None:
    target = tmp_path / "b.db"
    target.write_text("vigtig fil")
    with pytest.raises(InvalidInput, match="findes allerede"):
        maintenance.backup(db=sqlite_db, target=target)
    assert target.read_text() == "vigtig fil"


def test_backup_creates_a_missing_folder_privately(sqlite_db: Database, tmp_path: Path) -> None:
    """`phoner backup backup/x.db` failed with 'Mappen backup findes ikke'."""
    target = tmp_path / "backup" / "2026" / "phoner-2026-12-02.db"
    result = maintenance.backup(db=sqlite_db, target=target)
    assert result.path == target and target.is_file()
    assert stat.S_IMODE((tmp_path / "backup").stat().st_mode) == 0o700
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


def test_backup_into_a_file_posing_as_folder_is_a_danish_error(
    sqlite_db: Database, tmp_path: Path
) -> None:
    (tmp_path / "backup").write_text("en fil")
    with pytest.raises(PhonerError) as err:
        maintenance.backup(db=sqlite_db, target=tmp_path / "backup" / "x.db")
    assert "backup" in str(err.value) and "Traceback" not in str(err.value)


def test_restore_refuses_garbage(sqlite_db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"ikke en database" * 200)
    with pytest.raises(InvalidInput, match="ikke en SQLite-database"):
        maintenance.restore(db=sqlite_db, source=bad)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(InvalidInput, match="ikke en phoner-database"):
        maintenance.restore(db=sqlite_db, source=other)


def test_postgres_points_to_pg_dump(pg_db: Database, tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="pg_dump"):
        maintenance.backup(db=pg_db, target=tmp_path / "x.db")


def test_backup_keeps_a_retention_count(sqlite_db: Database, tmp_path: Path) -> None:
    """--keep N deletes the older backups of the same series (and nothing else)."""
    folder = tmp_path / "backup"
    folder.mkdir()
    other = folder / "noter.txt"
    other.write_text("ikke en backup")
    fake = folder / "phoner-1999.db"
    fake.write_text("ikke en database")  # same series, but not SQLite: kept
    names = [f"phoner-2027-03-{day:02d}.db" for day in range(20, 25)]
    for i, name in enumerate(names):
        result = maintenance.backup(db=sqlite_db, target=folder / name, keep=3)
        if i < 3:
            assert result.removed == ()
    assert result.removed == (folder / names[1],)
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([*names[2:], "noter.txt", "phoner-1999.db"])
    with pytest.raises(InvalidInput, match="kræver et backupnavn med dato"):
        maintenance.backup(db=sqlite_db, target=folder / "backup.db", keep=3)
    with pytest.raises(InvalidInput, match="mindst 1"):
        maintenance.backup(db=sqlite_db, target=folder / "phoner-2027-04-01.db", keep=0)

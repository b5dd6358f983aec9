"""Every file phoner writes is 0600 and every folder it creates 0700, whatever the umask.

The usual umask (022) made them 0644/0755: any local user could read contact names.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from phoner.core import feeds, maintenance
from phoner.core import reminders as rem
from phoner.core.booking import service as bk
from phoner.core.db import Database, make_engine
from phoner.core.mail import EmlFolder
from phoner.formats import report_output, tabular
from phoner.formats.private_files import private_dir, private_file
from phoner.formats.report_output import Report, ReportTable
from tests.support.booking import NOW, at, make_world


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_helpers_ignore_the_umask(tmp_path: Path) -> None:
    os.umask(0)
    folder = private_dir(tmp_path / "a" / "b")
    assert mode(tmp_path / "a") == mode(folder) == 0o700
    f = private_file(folder / "x.csv")
    assert mode(f) == 0o600
    wide = tmp_path / "wide.csv"
    wide.write_text("x")
    wide.chmod(0o644)
    tabular.write_csv(wide, ["a"], [["b"]])  # rewriting an existing file makes it private
    assert mode(wide) == 0o600


def test_a_new_sqlite_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    path = tmp_path / "phoner.db"
    db = Database(make_engine(f"sqlite:///{path}"))
    try:
        db.upgrade()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM company").scalar()
            wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
            assert wal.exists() and shm.exists()
            assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        db.dispose()


def test_backups_are_private(sqlite_db: Database, tmp_path: Path) -> None:
    target = tmp_path / "backup" / "phoner-2027-03-22.db"
    target.parent.mkdir()
    maintenance.backup(db=sqlite_db, target=target)
    assert mode(target) == 0o600


def test_calendar_feeds_are_private(sqlite_db: Database, tmp_path: Path) -> None:
    w = make_world(sqlite_db, consultants=1)
    bk.book_visit(
        db=sqlite_db,
        company_id=w.company_id,
        consultant_id=w.consultant_ids[0],
        start=at("2027-03-24", "09:00"),
        booked_by="t",
        now=NOW,
    )
    out = tmp_path / "calendars"
    with sqlite_db.session() as s:
        written = feeds.write_feeds(session=s, out_dir=out)
    assert written and mode(out) == 0o700
    assert all(mode(path) == 0o600 for _c, path, _changed in written)


def test_reminder_emails_are_private(sqlite_db: Database, tmp_path: Path) -> None:
    w = make_world(sqlite_db)
    bk.book_visit(
        db=sqlite_db,
        company_id=w.company_id,
        consultant_id=w.consultant_ids[0],
        start=at("2027-03-30", "09:00"),
        booked_by="t",
        now=NOW,
    )
    out = tmp_path / "udbakke"
    result = rem.send_due(db=sqlite_db, transport=EmlFolder(out), now=at("2027-03-24", "08:00"))
    files = list(out.glob("*.eml"))
    assert result.outbox.sent and files and mode(out) == 0o700
    assert all(mode(f) == 0o600 for f in files)


def test_rejects_exports_and_reports_are_private(tmp_path: Path) -> None:
    rejects = tabular.write_rejects_csv(
        tmp_path / "afviste" / "liste.afviste.csv", ["Navn"], [(2, "mangler", ["Aase Hansen"])]
    )
    xlsx = tabular.write_xlsx(tmp_path / "eksport.xlsx", ["Navn"], [["Aase Hansen"]])
    report = Report(
        name="r",
        title="Rapport",
        data={},
        campaign="K",
        tables=[ReportTable(title="T", columns=["Navn"], rows=[["Aase Hansen"]])],
    )
    paths = [
        rejects,
        xlsx,
        report_output.write_csv(report, tmp_path / "r.csv"),
        report_output.write_xlsx(report, tmp_path / "r.xlsx"),
        report_output.write_text(report, "md", tmp_path / "r.md"),
    ]
    assert [mode(p) for p in paths] == [0o600] * len(paths)
    assert mode(tmp_path / "afviste") == 0o700


def test_an_existing_0644_database_and_its_wal_and_shm_are_tightened(tmp_path: Path) -> None:
    """A database file created earlier with the umask's 0644 (an older phoner, by hand, a
    copied file) is made 0600 when phoner opens it, and so are its -wal and -shm."""
    import sqlite3

    path = tmp_path / "gammel.db"
    db = Database(make_engine(f"sqlite:///{path}"))
    db.upgrade()
    db.dispose()
    path.chmod(0o644)
    other = sqlite3.connect(path)  # holds -wal and -shm open, created with the file's mode
    try:
        other.execute("PRAGMA journal_mode = WAL")
        other.execute("CREATE TABLE IF NOT EXISTS t (x)")
        other.commit()
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert (mode(path), mode(wal), mode(shm)) == (0o644, 0o644, 0o644)
        db = Database(make_engine(f"sqlite:///{path}"))
        try:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM company").scalar()
            assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        finally:
            db.dispose()
    finally:
        other.close()

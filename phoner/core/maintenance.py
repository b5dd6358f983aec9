"""Backup and restore of a live SQLite campaign database.

Uses SQLite's online backup API, which copies a consistent snapshot page by page while
phoners keep working (each step takes a short read lock; a write during the copy makes
SQLite restart the copy of changed pages, so the result is always one committed state).
PostgreSQL has its own tools (pg_dump / pg_restore), which the message points to.
"""

from __future__ import annotations

import glob
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from phoner.core.db import Database, head_revision, known_revisions
from phoner.core.errors import DatabaseError, InvalidInput, from_os_error
from phoner.formats.private_files import private_dir, private_file

_PAGES_PER_STEP = 1024


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    revision: str | None
    removed: tuple[Path, ...] = ()  # older backups deleted by the retention count


def _sqlite_path(db: Database) -> Path:
    if not db.is_sqlite:
        raise DatabaseError(
            "Backup og gendannelse i phoner virker på SQLite-databaser.",
            hint="Tag backup af PostgreSQL med pg_dump, og gendan med pg_restore.",
        )
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise DatabaseError("Databasen ligger kun i hukommelsen og kan ikke tages backup af.")
    return Path(name)


def _check_target(target: Path, *, overwrite: bool) -> None:
    if target.exists() and not overwrite:
        raise InvalidInput(
            f"Filen {target} findes allerede.",
            hint="Vælg et andet filnavn.",
            field="overwrite",
        )
    try:
        private_dir(target.parent)  # `phoner backup backup/x.db` makes backup/ (0700)
    except OSError as exc:
        raise from_os_error(exc) from exc


def backup(
    *, db: Database, target: Path, overwrite: bool = False, keep: int | None = None
) -> BackupResult:
    """Copy the live database to ``target`` as one consistent snapshot (a 0600 file).

    ``keep``: afterwards keep only the newest ``keep`` backups of the same series in the
    folder (same name up to the first digit, same suffix: ``phoner-2026-11-23.db`` is of
    the series ``phoner-*.db``). Backups hold every personal value, also those purged
    after they were taken: a retention count is how purged data leaves the backups.
    """
    source = _sqlite_path(db)
    pattern = _series(target) if keep is not None else None
    if keep is not None and keep < 1:
        raise InvalidInput("Antallet af backups, der gemmes, skal være mindst 1.", field="keep")
    _check_target(target, overwrite=overwrite)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(private_file(tmp))
        try:
            src.backup(dst, pages=_PAGES_PER_STEP)
            revision = _revision(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        finally:
            dst.close()
            src.close()
        tmp.replace(target)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise DatabaseError(
            f"Backup til {target} mislykkedes: {exc}.",
            hint="Tjek at der er plads på disken og skriveadgang til mappen.",
        ) from exc
    removed = _rotate(target, pattern, keep) if pattern is not None and keep else ()
    return BackupResult(target, target.stat().st_size, revision, removed)


def _series(target: Path) -> str:
    """The glob of the backups ``target`` belongs to (its name up to the first digit)."""
    match = re.match(r"^(\D*)\d", target.name)
    if not match or not target.suffix:
        raise InvalidInput(
            f"Et antal backups at gemme kræver et backupnavn med dato og endelse, fx "
            f"phoner-2026-11-23.db (ikke {target.name}).",
            hint="Så kan phoner se, hvilke filer i mappen der er ældre backups af samme slags.",
            field="keep",
        )
    return f"{glob.escape(match.group(1))}*{glob.escape(target.suffix)}"


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _rotate(target: Path, pattern: str, keep: int) -> tuple[Path, ...]:
    """Delete all but the newest ``keep`` SQLite files of the series (never ``target``)."""
    series = [
        p
        for p in target.parent.glob(pattern)
        if p.is_file() and not p.name.endswith(".tmp") and _is_sqlite(p)
    ]
    series.sort(key=lambda p: (p == target, p.stat().st_mtime_ns, p.name), reverse=True)
    removed = []
    for old in series[keep:]:
        try:
            old.unlink()
        except OSError as exc:
            raise from_os_error(exc) from exc
        removed.append(old)
    return tuple(removed)


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


def restore(*, db: Database, source: Path) -> BackupResult:
    """Replace the database's content with the backup in ``source``.

    The backup is checked first (a phoner database, intact, not from a newer version);
    the live file is then overwritten through the backup API under SQLite's locks, so
    other processes see either the old or the restored database, never a mix.
    """
    target = _sqlite_path(db)
    if not source.is_file():
        raise InvalidInput(f"Backupfilen {source} findes ikke.")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()
            revision = _revision(src)
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(
            f"{source} er ikke en SQLite-database ({exc}).",
            hint="Angiv en backupfil lavet af phoner.",
        ) from exc
    if not ok or ok[0] != "ok":
        raise InvalidInput(f"Backupfilen {source} er beskadiget ({ok[0] if ok else '?'}).")
    if revision is None:
        raise InvalidInput(f"{source} er ikke en phoner-database.")
    if revision not in known_revisions():
        raise InvalidInput(
            f"{source} er lavet af en nyere version af phoner.",
            hint="Opdatér phoner og prøv igen.",
        )
    db.engine.dispose()
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"Gendannelsen mislykkedes: {exc}. Databasen er uændret.") from exc
    return BackupResult(target, target.stat().st_size, revision)


def needs_upgrade(db: Database) -> bool:
    """True when a restored (older) backup must be upgraded with phoner init."""
    return db.revision() != head_revision()


def integrity_ok(db: Database) -> bool:
    with db.engine.connect() as conn:
        if db.is_sqlite:
            return conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        return conn.execute(sa.text("SELECT 1")).scalar() == 1

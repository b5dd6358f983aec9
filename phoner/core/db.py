"""Engines, sessions and migrations for SQLite (default) and PostgreSQL (same code).

SQLite is tuned for several phoner processes on one machine: WAL (readers never block
the writer), a busy timeout (writers queue instead of failing), foreign keys on, and
write transactions that start with ``BEGIN IMMEDIATE`` so two writers never deadlock on a
lock upgrade (the classic source of "database is locked" under concurrency).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError as SAOperationalError
from sqlmodel import Session, SQLModel

from phoner.core import audit, event_versions, limits, models, notify
from phoner.core.errors import (
    DatabaseError,
    DatabaseFolderMissing,
    DatabaseMissingOnServer,
    DatabaseNotCreated,
    DatabaseUnopenable,
    DatabaseUnreachable,
    NotADatabase,
    NotAPhonerDatabase,
    SchemaTooNew,
    SchemaTooOld,
)
from phoner.formats.private_files import private_file, tighten

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "phoner_immediate"

# Importing models registers the tables on SQLModel.metadata.
METADATA = SQLModel.metadata
assert models.Company.__tablename__ in METADATA.tables
# Importing audit installs the session events that audit every change (phoner.core.audit).
assert audit.AUDITED
# Importing event_versions installs the listener that bumps a visit's SEQUENCE when what
# its calendar event shows changes (phoner.core.event_versions).
assert event_versions.INSTALLED
# Importing notify installs the listener that queues a REQUEST for every visit bumped so
# (phoner.core.notify).
assert notify.INSTALLED
# Importing limits installs the flush check of text lengths (phoner.core.limits).
assert limits.INSTALLED


def _sqlite_file(url: sa.URL) -> Path | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the pragmas and pool phoner relies on."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(
            f"Ugyldig database-adresse: {url!r}.",
            hint="Brug fx sqlite:///phoner.db eller postgresql+psycopg://bruger@vært/database.",
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None and not path.parent.exists():
            raise DatabaseFolderMissing(f"Mappen til databasen findes ikke: {path.parent}.")
        if path is not None and not path.exists():
            # SQLite creates -wal and -shm with the database file's mode: create it 0600
            # first so no copy of the personal data is readable by other local users.
            with contextlib.suppress(OSError):  # SQLite reports an unusable path itself
                private_file(path)
        elif path is not None:
            # a file created earlier (another version, by hand, a copied backup) with
            # 0644: tighten it and its -wal/-shm, which SQLite creates with its mode
            for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                tighten(part)
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        kwargs["connect_args"].setdefault("check_same_thread", False)
    # Parameter values are personal data (names, e-mails, notes): never put them in an
    # error's text, which may end up in a crash log or a terminal.
    kwargs.setdefault("hide_parameters", True)
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseError(
            f"Databasetypen i {parsed.render_as_string(hide_password=True)} understøttes "
            "ikke, eller dens driver er ikke installeret.",
            hint="PostgreSQL kræver: pip install 'phoner[postgres]'.",
        ) from exc
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (so we can make it IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError:
            pass  # a read-only file keeps its journal mode; reads still work
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# --------------------------------------------------------------------------- errors


def translate_error(exc: BaseException) -> DatabaseError | None:
    """Turn a driver error into a Danish message, or None if it is not a database state."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "readonly" in text or "read-only" in text or "attempt to write a readonly" in text:
        return DatabaseError(
            "Databasen er skrivebeskyttet, så intet kan gemmes.",
            hint="Tjek filens rettigheder (eller diskens), og prøv igen. Intet er gået tabt.",
        )
    if "disk is full" in text or "database or disk is full" in text or "no space" in text:
        return DatabaseError(
            "Disken er fuld, så det sidste blev ikke gemt.",
            hint="Frigør plads på disken og prøv igen. Det, der allerede er gemt, er intakt.",
        )
    if "database is locked" in text or "database is busy" in text:
        return DatabaseError(
            "Databasen er optaget af en anden bruger lige nu; intet blev gemt.",
            hint="Prøv igen om et øjeblik.",
        )
    if "unable to open database" in text:
        return DatabaseUnopenable("Databasefilen kan ikke åbnes.")
    if "file is not a database" in text or "malformed" in text:
        return NotADatabase("Filen er ikke en phoner-database, eller den er beskadiget.")
    if "connection" in text and ("refused" in text or "failed" in text):
        return DatabaseUnreachable("Kan ikke forbinde til databaseserveren.")
    if "does not exist" in text and "database" in text:
        return DatabaseMissingOnServer("Databasen findes ikke på serveren.")
    return None


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise known driver errors as :class:`DatabaseError`."""
    try:
        yield
    except (SAOperationalError, SADatabaseError, sqlite3.Error) as exc:
        mapped = translate_error(exc)
        if mapped is None:
            raise
        raise mapped from exc


# --------------------------------------------------------------------------- database


@dataclass
class Database:
    """An open phoner database: the engine plus session and migration helpers."""

    engine: Engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on any exception.

        ``write=True`` takes SQLite's write lock at BEGIN, so the transaction either gets
        the lock (waiting up to the busy timeout) or fails before doing anything.
        """
        with translated_errors():
            conn_opts = {_IMMEDIATE: True} if (write and self.is_sqlite) else {}
            with Session(self.engine, expire_on_commit=False) as session:
                if conn_opts:
                    session.connection(execution_options=conn_opts)
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise

    def revision(self) -> str | None:
        """The Alembic revision the database is at (None: not a phoner database yet)."""
        with translated_errors(), self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def is_empty(self) -> bool:
        with translated_errors():
            return not sa.inspect(self.engine).get_table_names()

    def check_current(self) -> None:
        """Raise :class:`SchemaOutOfDate` unless the schema is at this version's head."""
        current = self.revision()
        head = head_revision()
        if current == head:
            return
        if current is None:
            if self.is_empty():
                raise DatabaseNotCreated(f"Databasen er ikke oprettet endnu ({self.url}).")
            raise NotAPhonerDatabase(f"Databasen {self.url} er ikke en phoner-database.")
        if current in known_revisions():
            raise SchemaTooOld(
                "Databasen er lavet af en ældre version af phoner og skal opgraderes.",
                hint="Opgraderingen bevarer alle data.",
            )
        raise SchemaTooNew(
            "Databasen er lavet af en nyere version af phoner end den, der kører nu.",
            hint="Opdatér phoner på denne maskine.",
        )

    def upgrade(self) -> tuple[str | None, str]:
        """Create or upgrade the schema to head. Returns (from, to) revisions."""
        before = self.revision()
        if before is not None and before not in known_revisions():
            self.check_current()  # raises the "newer version" message
        with translated_errors(), self.engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return before, head_revision()

    def refresh_statistics(self) -> None:
        """Refresh the query planner's statistics after a bulk change (e.g. a list import).

        PostgreSQL plans from table statistics that autovacuum refreshes only after a
        while; right after 100,000 rows arrive it still believes the tables are empty and
        picks nested loops that turn a 0.1 s report into seconds. SQLite plans well from
        its indexes alone, so nothing is done there.
        """
        if self.is_sqlite:
            return
        try:
            with self.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
        except sa.exc.SQLAlchemyError:
            # only an optimisation, after the data is safely committed: a user without the
            # right to ANALYZE, or a dropped connection, must not turn an import into an error
            return

    def wipe_freed_space(self, tables: tuple[str, ...] = ()) -> bool | None:
        """After personal data was overwritten: get the old values off the disk.

        SQLite: checkpoint the WAL into the database file and truncate it (the WAL holds
        old page images until then); returns whether every frame was checkpointed (a
        reader holding an old snapshot can delay it: retried for a few seconds).
        PostgreSQL: VACUUM ``tables`` so the dead row versions are removed; returns None.
        """
        if self.is_sqlite:
            with translated_errors(), self.engine.connect() as conn:
                for _ in range(20):
                    busy, _log, _done = conn.exec_driver_sql(
                        "PRAGMA wal_checkpoint(TRUNCATE)"
                    ).one()
                    if not busy:
                        return True
                    time.sleep(0.25)
            return False
        with translated_errors(), self.engine.connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                auto.exec_driver_sql(f'VACUUM "{table}"')
        return None

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def open_database(url: str, *, check: bool = True, **engine_kwargs: Any) -> Database:
    """Open the database at ``url``; with ``check`` it must be at the current schema.

    With ``check``, a SQLite file that does not exist is not created (a typo in --db
    must not leave empty database files around): the user is told to run init.
    """
    if check:
        parsed = sa.make_url(url) if "://" in url else None
        path = _sqlite_file(parsed) if parsed and parsed.get_backend_name() == "sqlite" else None
        if path is not None and not path.exists():
            raise DatabaseNotCreated(f"Der findes ingen database i {path}.")
    db = Database(make_engine(url, **engine_kwargs))
    if check:
        try:
            db.check_current()
        except BaseException:
            db.dispose()
            raise
    return db

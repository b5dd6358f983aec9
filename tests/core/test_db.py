"""The database layer: migrations, schema checks, pragmas, UTC timestamps, errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from phoner.commands.hints import cli_hint
from phoner.core.db import Database, head_revision, make_engine, open_database
from phoner.core.errors import DatabaseError, DatabaseNotCreated, SchemaOutOfDate
from phoner.core.models import AuditLog, Jobcenter, SQLModel


def test_upgrade_from_empty_creates_every_table(db: Database) -> None:
    tables = set(sa.inspect(db.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert db.revision() == head_revision()


def test_upgrade_twice_is_harmless(db: Database) -> None:
    with db.session(write=True) as s:
        s.add(Jobcenter(name="Jobcenter Ringsted", municipality="Ringsted"))
    before, after = db.upgrade()
    assert before == after == head_revision()
    with db.session() as s:
        assert [j.name for j in s.exec(select(Jobcenter))] == ["Jobcenter Ringsted"]


def test_migrations_match_models(db: Database) -> None:
    """Autogenerate finds nothing: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == []


def test_dropping_lease_minutes_keeps_campaigns_and_what_hangs_on_them(db: Database) -> None:
    """0004 drops campaign.lease_minutes (a dead setting) without losing a row: on SQLite
    batch mode copies the campaign table under the foreign keys pointing at it. Downgrade
    puts the column back with the old default of 5 minutes."""
    from alembic import command

    from phoner.core.db import alembic_config
    from tests.support.booking import make_world

    make_world(db)

    def counts() -> dict[str, int]:
        with db.engine.connect() as conn:
            return {
                table: int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in ("campaign", "company", "callattempt", "followup")
            }

    before = counts()
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")  # the revision before the drop
    with db.engine.connect() as conn:
        minutes = conn.execute(sa.text("SELECT lease_minutes FROM campaign")).scalars().all()
    assert minutes == [5]
    assert counts() == before
    db.upgrade()
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("campaign")}
    assert "lease_minutes" not in columns and "callback_grace_minutes" in columns
    assert counts() == before
    assert db.revision() == head_revision()


def test_missing_database_file_asks_for_init_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with pytest.raises(SchemaOutOfDate, match="ingen database") as info:
        open_database(f"sqlite:///{path}")
    assert isinstance(info.value, DatabaseNotCreated)
    assert "phoner init" in (cli_hint(info.value) or "")
    assert not path.exists()


def test_empty_database_asks_for_init(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    make_engine(f"sqlite:///{path}").connect().close()
    with pytest.raises(SchemaOutOfDate, match="ikke oprettet") as info:
        open_database(f"sqlite:///{path}")
    assert isinstance(info.value, DatabaseNotCreated)
    assert "phoner init" in (cli_hint(info.value) or "")


def test_older_database_asks_for_init(sqlite_db: Database) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'aaaa'")
    with pytest.raises(SchemaOutOfDate, match="nyere version"):
        sqlite_db.check_current()


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE kunder (id INTEGER)")
    engine.dispose()
    with pytest.raises(SchemaOutOfDate, match="ikke en phoner-database"):
        open_database(f"sqlite:///{path}")


def test_sqlite_pragmas(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_foreign_keys_are_enforced(db: Database) -> None:
    from phoner.core.models import Consultant

    with pytest.raises(sa.exc.IntegrityError), db.session(write=True) as s:
        s.add(Consultant(name="X", email="x@example.dk", jobcenter_id=999, feed_token="t"))


def test_timestamps_come_back_as_aware_utc(db: Database) -> None:
    copenhagen = dt.timezone(dt.timedelta(hours=1))
    at = dt.datetime(2026, 11, 23, 10, 30, tzinfo=copenhagen)
    with db.session(write=True) as s:
        s.add(AuditLog(actor="t", action="a", entity="e", entity_id=1, at=at))
    with db.session() as s:
        row = s.exec(select(AuditLog)).one()
    assert row.at.tzinfo is not None
    assert row.at.utcoffset() == dt.timedelta(0)
    assert row.at == at


def test_naive_timestamps_are_refused(sqlite_db: Database) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive"), sqlite_db.session(write=True) as s:
        s.add(AuditLog(actor="t", action="a", entity="e", at=dt.datetime(2026, 1, 1)))


def test_session_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session(write=True) as s:
        s.add(Jobcenter(name="Jobcenter Køge", municipality="Køge"))
        s.flush()
        raise RuntimeError("boom")
    with db.session() as s:
        assert s.exec(select(Jobcenter)).all() == []


def test_read_only_connection_gives_danish_error(sqlite_url: str) -> None:
    """A database opened read-only (as on a read-only share) refuses writes in Danish."""
    path = sa.make_url(sqlite_url).database
    db = open_database(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with db.session() as s:  # reading works
            assert s.exec(select(Jobcenter)).all() == []
        with pytest.raises(DatabaseError, match="skrivebeskyttet"), db.session(write=True) as s:
            s.add(Jobcenter(name="x", municipality="x"))
    finally:
        db.dispose()


def test_bad_url_gives_danish_error() -> None:
    with pytest.raises(DatabaseError, match="Ugyldig database-adresse"):
        make_engine("ikke en adresse")


def test_missing_driver_gives_danish_error() -> None:
    with pytest.raises(DatabaseError, match="understøttes ikke"):
        make_engine("oracle+nosuchdriver://x@y/z")


def test_missing_folder_gives_danish_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="Mappen til databasen findes ikke"):
        make_engine(f"sqlite:///{tmp_path / 'nope' / 'phoner.db'}")


def test_refresh_statistics_never_fails_an_import_that_is_already_saved() -> None:
    """ANALYZE is only an optimisation: an unreachable server is ignored, not an error."""
    db = Database(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/phoner"))
    try:
        db.refresh_statistics()
    finally:
        db.dispose()

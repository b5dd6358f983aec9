"""Fixtures for the TUI tests: the demo campaign, a fixed clock, and app helpers."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from phoner.config import Settings
from phoner.core.db import Database, make_engine
from phoner.core.demo import DEMO_CAMPAIGN, build_demo
from phoner.tui.app import PhonerApp, create_app

REPO = Path(__file__).resolve().parents[2]

#: Tuesday 24 November 2026, 10:00 in Copenhagen: inside the calling hours.
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A settable clock for the app (tests move time forward)."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo campaign built once; each test gets its own copy of the file."""
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(REPO / "scripts", root / "scripts")
    path = root / "demo.db"
    db = Database(make_engine(f"sqlite:///{path}"))
    db.upgrade()
    build_demo(db=db, workspace=root)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def demo_db(_demo_template: Path, workspace: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "phoner.db"
    shutil.copy(_demo_template, path)
    db = Database(make_engine(f"sqlite:///{path}"))
    yield db
    db.dispose()


@pytest.fixture
def make_app(
    demo_db: Database, workspace: Path, clock: Clock, tmp_path: Path
) -> Callable[..., PhonerApp]:
    def make(lang: str = "da", **kw: object) -> PhonerApp:
        settings = Settings(workspace=workspace, db_url=str(demo_db.engine.url), lang=lang)
        kw.setdefault("campaign", DEMO_CAMPAIGN)
        kw.setdefault("clock", clock)
        kw.setdefault("config_dir", tmp_path / "config")
        return create_app(db=demo_db, settings=settings, **kw)  # type: ignore[arg-type]

    return make


async def settle(pilot: object) -> None:
    """Wait until every worker is done and the screen has caught up."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(5):
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]
        if not any(w.is_running for w in app.workers):
            break

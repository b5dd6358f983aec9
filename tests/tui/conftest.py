"""Fixtures for the TUI tests: the demo campaign, a fixed clock, the app factory."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from phoner.config import Settings
from phoner.core.db import Database, make_engine
from phoner.core.demo import DEMO_CAMPAIGN
from phoner.tui.app import PhonerApp, create_app
from tests.support.clock import Clock
from tests.support.worlds import demo_database


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo campaign built once; each test gets its own copy of the file."""
    return demo_database(tmp_path_factory.mktemp("demo"))


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

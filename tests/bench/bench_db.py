"""Foundation figures: opening a database and building the demo campaign."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from phoner.core.db import Database, make_engine, open_database
from phoner.core.demo import build_demo
from tests.support.bench import Bench, stopwatch

REPO = Path(__file__).resolve().parents[2]


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        shutil.copytree(REPO / "scripts", ws / "scripts")
        url = f"sqlite:///{ws / 'phoner.db'}"
        with stopwatch() as elapsed:
            db = Database(make_engine(url))
            db.upgrade()
        bench.figure("db: create + migrate empty SQLite database", elapsed() * 1000, "ms")
        with stopwatch() as elapsed:
            build_demo(db=db, workspace=ws)
        bench.figure("db: build demo campaign", elapsed() * 1000, "ms")
        db.dispose()
        with stopwatch() as elapsed:
            open_database(url).dispose()
        bench.figure("db: open + schema check", elapsed() * 1000, "ms")

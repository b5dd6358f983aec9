"""Developer tool: autogenerate a migration by diffing the models against a fresh database.

Usage: ``make migration MSG="add booking reminder columns"``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from phoner.core.db import Database, alembic_config, known_revisions, make_engine


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(make_engine(f"sqlite:///{Path(tmp) / 'autogen.db'}"))
        db.upgrade()
        rev_id = f"{len(known_revisions()) + 1:04d}"
        cfg = alembic_config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
        db.dispose()


def reset_initial() -> None:
    """Regenerate 0001 from the models. Only while no database exists outside development:
    phoner has not been released, so the initial schema may still change in place."""
    versions = Path(__file__).with_name("versions")
    for old in versions.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'autogen.db'}")
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
        engine.dispose()


if __name__ == "__main__":
    if sys.argv[1:] == ["--reset-initial"]:
        reset_initial()
    elif len(sys.argv) != 2 or not sys.argv[1].strip():
        sys.exit('usage: make migration MSG="what changed"')
    else:
        main(sys.argv[1])

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


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].strip():
        sys.exit('usage: make migration MSG="what changed"')
    main(sys.argv[1])

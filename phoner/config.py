"""Settings from the environment and command line flags.

The workspace is the current directory: ``phoner.db`` (the default SQLite database),
``lists/``, ``scripts/`` and ``calendars/`` sit side by side in it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DB_ENV = "PHONER_DB"
LANG_ENV = "PHONER_LANG"
DEFAULT_DB_FILE = "phoner.db"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class Settings:
    """Where the workspace and its database are."""

    workspace: Path = field(default_factory=Path.cwd)
    db_url: str = ""
    lang: str = "da"

    @property
    def lists_dir(self) -> Path:
        return self.workspace / "lists"

    @property
    def scripts_dir(self) -> Path:
        return self.workspace / "scripts"

    @property
    def calendars_dir(self) -> Path:
        return self.workspace / "calendars"


def load_settings(db: str | None = None, workspace: Path | None = None) -> Settings:
    """Settings from flags first, then environment, then defaults."""
    ws = (workspace or Path.cwd()).resolve()
    url = db or os.environ.get(DB_ENV) or sqlite_url(ws / DEFAULT_DB_FILE)
    if "://" not in url:  # a plain path is a SQLite file
        url = sqlite_url(Path(url).resolve())
    lang = os.environ.get(LANG_ENV, "da").lower()[:2]
    return Settings(workspace=ws, db_url=url, lang=lang if lang in {"da", "en"} else "da")

"""What the TUI remembers between sessions (:class:`Prefs`), and the read-only look-ups
the screens need, which live in :mod:`phoner.core.lookups` (re-exported here).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from phoner.core.lookups import (
    MAX_LIST_ROWS,
    CampaignInfo,
    CompanyRow,
    RoundInfo,
    campaign_infos,
    campaign_jobcenters,
    campaign_name,
    company_rows,
    known_phoners,
)

__all__ = [
    "MAX_LIST_ROWS",
    "CampaignInfo",
    "CompanyRow",
    "Prefs",
    "RoundInfo",
    "campaign_infos",
    "campaign_jobcenters",
    "campaign_name",
    "company_rows",
    "config_dir",
    "known_phoners",
]


# --------------------------------------------------------------------------- preferences


def config_dir() -> Path:
    """The user's phoner config folder (``$XDG_CONFIG_HOME/phoner`` or ``~/.config/phoner``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "phoner"


@dataclass
class Prefs:
    """What the TUI remembers between sessions on this machine (per user)."""

    path: Path
    phoner: str = ""
    recent: tuple[str, ...] = ()
    campaign: str = ""

    @classmethod
    def load(cls, folder: Path | None = None) -> Prefs:
        path = (folder or config_dir()) / "tui.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path=path)
        if not isinstance(raw, dict):
            return cls(path=path)
        recent = raw.get("recent", [])
        return cls(
            path=path,
            phoner=str(raw.get("phoner", "")),
            recent=tuple(str(x) for x in recent) if isinstance(recent, list) else (),
            campaign=str(raw.get("campaign", "")),
        )

    def remember(self, *, phoner: str, campaign: str) -> None:
        """Save the name and campaign; a read-only home folder is not worth an error."""
        self.phoner = phoner
        self.campaign = campaign
        self.recent = tuple([phoner, *[n for n in self.recent if n != phoner]][:10])
        payload = {"phoner": phoner, "recent": list(self.recent), "campaign": campaign}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            pass

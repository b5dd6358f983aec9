"""campaigns.campaign_script: the one way to load a campaign's call script."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from phoner.core import campaigns
from phoner.core.db import Database
from phoner.core.errors import InvalidInput

REPO = Path(__file__).resolve().parents[2]


def test_a_relative_script_is_found_in_the_workspace_not_the_current_directory(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws"
    (workspace / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "fleksjob.toml", workspace / "scripts" / "fleksjob.toml")
    monkeypatch.chdir(workspace)
    with sqlite_db.session(write=True) as s:
        camp = campaigns.create_campaign(
            session=s, name="K", script=Path("scripts") / "fleksjob.toml"
        )
    elsewhere = tmp_path / "andet"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    script = campaigns.campaign_script(camp, workspace=workspace)
    assert script.hash == camp.script_hash
    assert campaigns.script_file(camp, workspace=workspace) == workspace / "scripts/fleksjob.toml"
    with pytest.raises(InvalidInput, match="findes ikke"):
        campaigns.campaign_script(camp, workspace=elsewhere)
    assert campaigns.campaign_script_or_none(camp, workspace=elsewhere) is None
    assert campaigns.campaign_script_or_none(camp, workspace=workspace, script_hash="x") is None
    same = campaigns.campaign_script_or_none(
        camp, workspace=workspace, script_hash=camp.script_hash
    )
    assert same is not None and same.hash == script.hash

"""The command line keeps personal data private: file modes, purge output, backup rotation."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from typer.testing import CliRunner

from phoner.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_demo_database_backups_and_purge(workspace: Path) -> None:
    before = os.umask(0o022)
    try:
        assert invoke("demo", "--no-tui")[0] == 0
        db = workspace / "phoner.db"
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        (workspace / "backup").mkdir()
        for day in (1, 2, 3):
            code, out = invoke("backup", f"backup/phoner-2027-03-0{day}.db", "--keep", "2")
            assert code == 0, out
        assert "1 ældre backups er slettet (phoner-2027-03-01.db)" in out
        assert sorted(p.name for p in (workspace / "backup").iterdir()) == [
            "phoner-2027-03-02.db",
            "phoner-2027-03-03.db",
        ]
        assert stat.S_IMODE((workspace / "backup" / "phoner-2027-03-03.db").stat().st_mode) == 0o600
        code, out = invoke("calendars", "build")
        assert code == 0, out
        campaign = json.loads(invoke("campaign", "list", "--json")[1])["campaigns"][0]["name"]
        code, out = invoke("gdpr", "purge", "--campaign", campaign, "--older-than", "0")
        assert code == 0, out
        assert "Persondata er anonymiseret" in out
        assert "Kalenderfilerne i" in out and "bygget igen" in out
        assert "Backups taget før nu indeholder stadig" in out and "--keep N" in out
    finally:
        os.umask(before)

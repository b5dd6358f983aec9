"""The command line: help, init, campaigns, errors in Danish and never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phoner.cli import app
from phoner.commands.common import wants_json
from phoner.core.db import Database

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_help_is_danish() -> None:
    code, out = invoke("--help")
    assert code == 0
    assert "telefonkampagner" in out
    for command in ("init", "demo", "campaign"):
        assert command in out


def test_version() -> None:
    code, out = invoke("--version")
    assert code == 0
    assert out.startswith("phoner ")


def test_init_creates_then_reports_up_to_date(workspace: Path) -> None:
    code, out = invoke("init")
    assert code == 0, out
    assert "oprettet" in out
    assert (workspace / "phoner.db").exists()
    for folder in ("lists", "scripts", "calendars"):
        assert (workspace / folder).is_dir()
    code, out = invoke("init")
    assert code == 0, out
    assert "allerede opdateret" in out


def test_unexpected_error_is_danish_with_a_log_file(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A bug is one Danish sentence and a log file for the developers, never a traceback."""
    from phoner.core import campaigns

    def broken(**_: object) -> None:
        raise RuntimeError("simulated bug in list_campaigns")

    monkeypatch.setattr(campaigns, "list_campaigns", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    code, out = invoke("--db", sqlite_url, "campaign", "list")
    assert code == 70
    assert "phoner stødte på en uventet fejl" in out
    logs = list(tmp_path.glob("phoner-fejl-*.log"))
    assert len(logs) == 1 and str(logs[0]) in out
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "simulated bug in list_campaigns" in text


def test_init_with_a_file_where_a_folder_belongs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHONER_DB", raising=False)
    (tmp_path / "scripts").write_text("ikke en mappe", encoding="utf-8")
    code, out = invoke("init")
    assert code == 1
    assert f"Kan ikke oprette mappen {tmp_path / 'scripts'}" in out
    assert not (tmp_path / "phoner.db").exists()  # nothing half done


def test_file_system_refusal_is_danish_and_names_the_path(sqlite_url: str, tmp_path: Path) -> None:
    """An OSError (here: a file where the feed folder belongs) is no crash log."""
    blocker = tmp_path / "kalendere"
    blocker.write_text("en fil", encoding="utf-8")
    code, out = invoke("--db", sqlite_url, "calendars", "build", "--out", str(blocker))
    assert code == 1
    assert f"Filen eller mappen {blocker} kan ikke bruges: der ligger allerede en fil" in out
    assert "uventet fejl" not in out


def test_commands_before_init_say_run_init(workspace: Path) -> None:
    code, out = invoke("campaign", "list")
    assert code != 0
    assert "phoner init" in out
    assert "ingen database" in out
    assert not (workspace / "phoner.db").exists()


def test_campaign_create_and_list(db_url: str, workspace: Path) -> None:
    code, out = invoke(
        "--db",
        db_url,
        "campaign",
        "create",
        "Fleksjob 2027",
        "--script",
        "scripts/fleksjob.toml",
        "--horizon-days",
        "30",
    )
    assert code == 0, out
    assert "Fleksjob 2027" in out
    code, out = invoke("--db", db_url, "campaign", "list", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert [c["name"] for c in data["campaigns"]] == ["Fleksjob 2027"]
    assert data["campaigns"][0]["horizon_days"] == 30
    assert data["campaigns"][0]["min_notice_days"] == 2
    code, out = invoke("--db", db_url, "campaign", "list")
    assert code == 0
    assert "Fleksjob 2027" in out


def test_campaign_create_twice_is_a_clear_error(db_url: str, workspace: Path) -> None:
    args = ("--db", db_url, "campaign", "create", "A", "--script", "scripts/fleksjob.toml")
    assert invoke(*args)[0] == 0
    code, out = invoke(*args)
    assert code == 1
    assert "findes allerede" in out


def test_campaign_create_with_missing_script(db_url: str, workspace: Path) -> None:
    code, out = invoke("--db", db_url, "campaign", "create", "A", "--script", "nope.toml")
    assert code == 1
    assert "findes ikke" in out and "nope.toml" in out


def test_campaign_create_rejects_bad_numbers(db_url: str, workspace: Path) -> None:
    code, out = invoke(
        "--db",
        db_url,
        "campaign",
        "create",
        "A",
        "--script",
        "scripts/fleksjob.toml",
        "--horizon-days",
        "0",
    )
    assert code == 2
    assert "horizon-days" in out


def test_db_env_variable_is_used(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "andet.db"
    monkeypatch.setenv("PHONER_DB", str(other))
    assert invoke("init")[0] == 0
    assert other.exists()
    assert not (workspace / "phoner.db").exists()


def test_unreachable_postgres_is_a_danish_error(workspace: Path) -> None:
    code, out = invoke(
        "--db", "postgresql+psycopg://postgres@127.0.0.1:1/phoner", "campaign", "list"
    )
    assert code == 3
    assert "Kan ikke forbinde" in out


def test_not_a_database_file(workspace: Path) -> None:
    bad = workspace / "tekst.db"
    bad.write_text("dette er ikke en database" * 100)
    code, out = invoke("--db", str(bad), "campaign", "list")
    assert code == 3
    assert "ikke en phoner-database" in out


def test_real_console_script_has_no_traceback(workspace: Path) -> None:
    """The installed entry point, as a user runs it, prints Danish errors only."""
    exe = Path(sys.executable).with_name("phoner")
    env = {**os.environ, "PHONER_DB": str(workspace / "x.db")}
    proc = subprocess.run(
        [str(exe), "campaign", "create", "A", "--script", "mangler.toml"],
        capture_output=True,
        text=True,
        cwd=workspace,
        env=env,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "phoner init" in proc.stderr


def test_demo_without_tui_builds_campaign_idempotently(workspace: Path) -> None:
    code, out = invoke("demo", "--no-tui")
    assert code == 0, out
    assert "240 virksomheder" in out
    assert (workspace / "lists" / "demo-virksomheder.csv").exists()
    code, out = invoke("demo", "--no-tui")
    assert code == 0, out
    assert "240 virksomheder" in out
    code, out = invoke("campaign", "list", "--json")
    assert len(json.loads(out)["campaigns"]) == 1


def test_backup_and_restore_commands(workspace: Path) -> None:
    assert invoke("demo", "--no-tui")[0] == 0
    code, out = invoke("backup", "kopi.db")
    assert code == 0, out
    assert "Backup gemt i kopi.db" in out
    code, out = invoke("backup", "kopi.db")
    assert code == 1 and "findes allerede" in out
    code, out = invoke("restore", "kopi.db", "--ja")
    assert code == 0, out
    code, out = invoke("campaign", "list", "--json")
    assert json.loads(out)["campaigns"][0]["companies"] == 240


def test_restore_asks_in_danish_and_takes_j_for_yes(workspace: Path) -> None:
    """`phoner restore` asked "[y/N]", refused "j" with "Error: invalid input", "Aborted!"."""
    assert invoke("init")[0] == 0
    assert invoke("backup", "kopi.db")[0] == 0
    r = runner.invoke(app, ["restore", "kopi.db"], input="nej\n")
    assert r.exit_code == 1
    assert "[j/N]" in r.output and "Intet er ændret" in r.output
    r = runner.invoke(app, ["restore", "kopi.db"], input="måske\nj\n")
    assert r.exit_code == 0, r.output
    assert "Svar j (ja) eller n (nej)." in r.output and "gendannet fra kopi.db" in r.output
    r = runner.invoke(app, ["restore", "kopi.db"], input="")  # end of input: no answer
    assert r.exit_code == 1 and "Afbrudt." in r.output
    for english in ("[y/N]", "Error", "invalid input", "Aborted"):
        assert english not in r.output


def test_campaign_settings_of_every_type_are_audited(db_url: str, workspace: Path) -> None:
    import datetime as dt

    from phoner.core import campaigns
    from phoner.core.db import open_database
    from phoner.core.models import AuditLog

    assert invoke("--db", db_url, "campaign", "list")[0] == 0
    db = open_database(db_url)
    with db.session(write=True) as s:
        campaigns.create_campaign(
            session=s,
            name="Tider",
            script=Path("scripts/fleksjob.toml"),
            calling_start=dt.time(8, 30),
            min_employees=3,
        )
    with db.session() as s:
        from sqlmodel import select

        entry = s.exec(select(AuditLog).where(AuditLog.entity == "campaign")).one()
    db.dispose()
    assert entry.new is not None
    assert entry.new["calling_start"] == "08:30:00"
    assert entry.new["min_employees"] == 3


@pytest.mark.postgres
def test_init_on_postgresql_sets_up_the_workspace_as_on_sqlite(
    pg_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`phoner init` against PostgreSQL put no scripts/fleksjob.toml in an empty folder."""
    url = pg_db.engine.url.render_as_string(hide_password=False)
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    monkeypatch.setenv("PHONER_DB", url)
    code, out = invoke("init")
    assert code == 0, out
    assert (ws / "scripts" / "fleksjob.toml").is_file()
    assert "Standardmanuskriptet er lagt i" in out
    for folder in ("lists", "calendars"):
        assert (ws / folder).is_dir()


def test_json_errors_print_one_json_object_on_stdout(sqlite_url: str, workspace: Path) -> None:
    """A script reading stdout of ``--json`` gets an answer when it fails too; the exit
    code is unchanged and stderr keeps the Danish text for a person."""
    result = runner.invoke(app, ["--db", sqlite_url, "campaign", "list", "--json"])
    assert result.exit_code == 0, result.output
    cases = [
        (["campaign", "show", "Ukendt", "--json"], 1, "findes ikke", "phoner campaign create"),
        (["list", "status", "--campaign", "Ukendt", "--json"], 1, "findes ikke", "create"),
        (["booking", "list", "--json", "--ukendt"], 2, "Ukendt tilvalg: --ukendt", None),
    ]
    for args, code, error, hint in cases:
        result = runner.invoke(app, ["--db", sqlite_url, *args])
        assert result.exit_code == code, result.output
        payload = json.loads(result.stdout)  # exactly one JSON object
        assert set(payload) == {"error", "hint"}
        assert error in payload["error"]
        assert (hint is None and payload["hint"] is None) or hint in payload["hint"]
        assert "Fejl: " in result.stderr and error in result.stderr
    # without --json stdout stays empty, as before
    result = runner.invoke(app, ["--db", sqlite_url, "campaign", "show", "Ukendt"])
    assert result.exit_code == 1 and result.stdout == ""
    # a --json after -- is an argument, not the option
    assert not wants_json(["list", "import", "--", "--json"]) and wants_json(["x", "--json"])

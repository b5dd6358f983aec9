"""The CLI's advice: core says what went wrong, the CLI names the flag or command to fix it."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from phoner.cli import app
from tests.support.lists import A, write_messy_csv

runner = CliRunner()


def run(db_url: str, *args: str) -> Result:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result


def _campaign_with_list(db_url: str, workspace: Path) -> None:
    assert run(db_url, "init").exit_code == 0
    r = run(db_url, "campaign", "create", "Efterår", "--script", "scripts/fleksjob.toml")
    assert r.exit_code == 0, r.output
    path = write_messy_csv(workspace / "liste.csv")
    assert run(db_url, "list", "import", str(path), "-c", "Efterår").exit_code == 0


def test_sign_off_refusals_name_the_commands(sqlite_url: str, workspace: Path) -> None:
    _campaign_with_list(sqlite_url, workspace)
    (workspace / "kendte.csv").write_text(f"CVR\n{A}\n", encoding="utf-8")
    assert run(sqlite_url, "list", "known", "kendte.csv", "-j", "Køge").exit_code == 0
    sign_off = ("list", "sign-off", "-c", "Efterår", "-j", "Køge")
    r = run(sqlite_url, *sign_off, "--by", "Ole")
    assert r.exit_code == 1
    assert "foreslået fjernet, men ikke gennemgået" in r.stderr
    assert "phoner list clearing-export" in r.stderr and "--force" in r.stderr

    r = run(sqlite_url, *sign_off, "--by", " ")
    assert r.exit_code == 1
    assert "Angiv hvem der godkender listen." in r.stderr and "--by NAVN" in r.stderr

    assert run(sqlite_url, *sign_off, "--by", "Ole", "--force").exit_code == 0
    r = run(sqlite_url, *sign_off, "--by", "Ole", "--force")
    assert r.exit_code == 1
    assert "har allerede godkendt sin liste" in r.stderr
    assert "phoner list reopen --campaign" in r.stderr


def test_a_refused_option_names_the_flag(sqlite_url: str, workspace: Path) -> None:
    _campaign_with_list(sqlite_url, workspace)
    # typer refuses --size 0 itself (a usage error, exit 2), naming the option
    r = run(sqlite_url, "rounds", "plan", "-c", "Efterår", "--size", "0", "--first", "2026-09-01")
    assert r.exit_code == 2 and "--size" in r.output
    # core refuses by the thing, the CLI adds the option (field 'keep', 'overwrite')
    r = run(sqlite_url, "backup", str(workspace / "backup.db"), "--keep", "2")
    assert r.exit_code == 1
    assert "Fejl: Et antal backups at gemme kræver et backupnavn med dato" in r.stderr
    assert "Det gælder --keep." in r.stderr
    (workspace / "phoner-2026-11-23.db").write_text("", encoding="utf-8")
    r = run(sqlite_url, "backup", str(workspace / "phoner-2026-11-23.db"))
    assert r.exit_code == 1
    assert "findes allerede" in r.stderr and "--overskriv" in r.stderr


def test_the_cli_maps_fields_and_types() -> None:
    from phoner.commands.hints import cli_hint
    from phoner.core.errors import ActorMissing, InvalidInput

    size = InvalidInput("Rundestørrelsen skal være mindst 1.", field="size")
    assert cli_hint(size) == "Ret --size."
    assert cli_hint(InvalidInput("x", hint="Prøv igen.", field="some_option")) == (
        "Prøv igen.\nRet --some-option."
    )
    assert cli_hint(ActorMissing("Angiv hvem.")) == "Angiv navnet med --by NAVN."
    assert cli_hint(InvalidInput("x")) is None


def test_a_missing_database_folder_names_db(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'findes-ikke' / 'phoner.db'}"
    r = run(url, "init")
    assert r.exit_code == 3  # a database failure keeps its exit code
    assert "Mappen til databasen findes ikke" in r.stderr
    assert "--db" in r.stderr

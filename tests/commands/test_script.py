"""``phoner script check``: every problem with its location, in Danish, no traceback."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phoner.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_shipped_script_is_valid() -> None:
    code, out = invoke("script", "check", str(REPO / "scripts" / "fleksjob.toml"))
    assert code == 0, out
    assert "er gyldigt" in out
    assert "Vil kontaktes: 8 veje (4 med besøgsbooking)" in out
    assert "Har kontakt: 1 vej\n" in out


def test_packaged_standard_script_is_the_repository_script() -> None:
    """`phoner init` places the packaged copy; it must not drift from scripts/fleksjob.toml."""
    packaged = resources.files("phoner.templates").joinpath("fleksjob.toml").read_bytes()
    assert packaged == (REPO / "scripts" / "fleksjob.toml").read_bytes()


def test_init_places_the_standard_script_and_never_overwrites_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHONER_DB", raising=False)
    code, out = invoke("init")
    assert code == 0, out
    placed = tmp_path / "scripts" / "fleksjob.toml"
    assert "Standardmanuskriptet er lagt i" in out and str(placed) in out
    assert placed.read_bytes() == (REPO / "scripts" / "fleksjob.toml").read_bytes()
    assert invoke("script", "check", str(placed))[0] == 0
    placed.write_text("# vores egen udgave\n", encoding="utf-8")
    code, out = invoke("init")
    assert code == 0, out
    assert "Standardmanuskriptet" not in out
    assert placed.read_text(encoding="utf-8") == "# vores egen udgave\n"


def test_demo_in_an_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After `pip install phoner`, `phoner demo` works anywhere: script and list are made."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHONER_DB", raising=False)
    code, out = invoke("demo", "--no-tui")
    assert code == 0, out
    assert "Demokampagnen" in out and "240 virksomheder" in out
    assert (tmp_path / "scripts" / "fleksjob.toml").is_file()
    assert (tmp_path / "lists" / "demo-virksomheder.csv").is_file()


def test_problems_are_listed_with_locations(tmp_path: Path) -> None:
    text = (REPO / "scripts" / "fleksjob.toml").read_text(encoding="utf-8")
    text = text.replace('next = "besoeg"', 'next = "besog"', 1)
    text = text.replace('outcome = "har_kontakt"', 'outcome = "kontakt_ok"')
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    code, out = invoke("script", "check", str(path))
    assert code == 1
    assert "2 fejl" in out
    assert "spørgsmål 'opgaver', svar 1: 'next' peger på spørgsmålet 'besog'" in out
    assert "spørgsmål 'kontakt', svar 2: ukendt udfald 'kontakt_ok'" in out


def test_json_output(tmp_path: Path) -> None:
    code, out = invoke("script", "check", "--json", str(REPO / "scripts" / "fleksjob.toml"))
    assert code == 0
    payload = json.loads(out)
    assert payload["valid"] is True and payload["problems"] == []
    assert "vil_kontaktes" in payload["outcomes"] and len(payload["hash"]) == 64
    bad = tmp_path / "bad.toml"
    bad.write_text("[script\n", encoding="utf-8")
    code, out = invoke("script", "check", "--json", str(bad))
    assert code == 1
    payload = json.loads(out)
    assert payload["valid"] is False
    assert payload["problems"][0]["location"].startswith("linje 1")


def test_missing_file_is_a_danish_error(tmp_path: Path) -> None:
    code, out = invoke("script", "check", str(tmp_path / "nope.toml"))
    assert code == 1
    assert "findes ikke" in out


def test_campaign_create_refuses_an_invalid_script(workspace: Path) -> None:
    assert invoke("init")[0] == 0
    bad = workspace / "scripts" / "bad.toml"
    bad.write_text('[script]\nname = "x"\n', encoding="utf-8")
    code, out = invoke("campaign", "create", "Efterår", "--script", str(bad))
    assert code == 1
    assert "'opening' mangler" in out and "phoner script check" in out


def test_unwritable_scripts_folder_is_a_danish_error(tmp_path: Path) -> None:
    from phoner.core.call_scripts import install_standard_script
    from phoner.core.errors import InvalidInput

    blocker = tmp_path / "scripts"
    blocker.write_text("en fil, ikke en mappe", encoding="utf-8")
    with pytest.raises(InvalidInput, match="Kan ikke skrive standardmanuskriptet"):
        install_standard_script(blocker)

"""``phoner block`` end to end: add, list, remove (with reason and who), import, and
``list import`` telling which companies are blocked."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from phoner.cli import app
from tests.support.lists import A, B, C

runner = CliRunner()


def run(db_url: str, *args: str) -> Result:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result


def test_add_list_remove(db_url: str, workspace: Path) -> None:
    assert run(db_url, "init").exit_code == 0
    r = run(db_url, "block", "add", "--cvr", A, "--name", "Ærø Bageri", "--by", "Karen")
    assert r.exit_code == 0, r.output
    assert f"Spærring nr. 1: Ærø Bageri (CVR {A})." in r.stdout
    r = run(db_url, "block", "add", "--phone", "33 12 34 57", "--reason", "Mail", "--by", "K")
    assert r.exit_code == 0, r.output
    r = run(db_url, "block", "list", "--json")
    payload = json.loads(r.stdout)
    assert [(b["id"], b["cvr"], b["phones"], b["reason"]) for b in payload["blocks"]] == [
        (2, None, ["+4533123457"], "Mail"),
        (1, A, [], "Frabeder sig henvendelser"),
    ]
    r = run(db_url, "block", "list")
    assert "Ærø Bageri" in r.stdout and "Karen" in r.stdout
    # remove needs both --reason and --by
    r = run(db_url, "block", "remove", "--cvr", A, "--by", "Karen")
    assert r.exit_code != 0
    r = run(db_url, "block", "remove", "--cvr", A, "--reason", " ", "--by", "Karen")
    assert r.exit_code != 0 and "hvorfor spærringen ophæves" in r.output
    r = run(db_url, "block", "remove", "--cvr", B, "--reason", "x", "--by", "Karen")
    assert r.exit_code != 0 and "ingen aktiv spærring" in r.output
    r = run(db_url, "block", "remove", "--id", "1", "--reason", "Vil gerne kontaktes", "--by", "K")
    assert r.exit_code == 0, r.output
    assert "Spærring nr. 1 er ophævet" in r.stdout
    r = run(db_url, "block", "list", "--all")
    assert "Vil gerne kontaktes" in r.stdout
    assert [
        b["id"] for b in json.loads(run(db_url, "block", "list", "--json").stdout)["blocks"]
    ] == [2]


def test_add_refuses_bad_input_in_danish(db_url: str, workspace: Path) -> None:
    assert run(db_url, "init").exit_code == 0
    r = run(db_url, "block", "add", "--by", "K")
    assert r.exit_code != 0 and "CVR-nummer, P-nummer eller telefonnummer" in r.output
    r = run(db_url, "block", "add", "--cvr", "12345678", "--by", "K")
    assert r.exit_code != 0 and "Ugyldigt CVR-nummer '12345678'" in r.output
    r = run(db_url, "block", "add", "--cvr", A, "--by", " ")
    assert r.exit_code != 0 and "--by" in r.output


def test_import_register_and_list_import_reports_blocked(db_url: str, workspace: Path) -> None:
    assert run(db_url, "init").exit_code == 0
    register = workspace / "spærreliste.csv"
    register.write_text(
        f"CVR;Telefon;Begrundelse\n{A};;Ringede selv\n;33 12 34 58;\nabc;;\n", encoding="utf-8"
    )
    r = run(db_url, "block", "import", str(register), "--by", "Karen", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {
        "read": 3,
        "rejected": 1,
        "rejects_file": str(workspace / "spærreliste.afviste.csv"),
        "added": 2,
        "unchanged": 0,
        "blocked": 0,
    }
    rejects = (workspace / "spærreliste.afviste.csv").read_text(encoding="utf-8-sig")
    assert "kolonnen 'CVR': Ugyldigt CVR-nummer 'abc'" in rejects
    r = run(db_url, "campaign", "create", "Efterår", "--script", "scripts/fleksjob.toml")
    assert r.exit_code == 0, r.output
    liste = workspace / "liste.csv"
    liste.write_text(
        "Navn;CVR;Telefon;Kommune\n"
        f"Ærø Bageri;{A};33 12 34 56;Køge\n"
        f"Fri;{B};33 12 34 57;Køge\n"
        f"Samme nummer;{C};33 12 34 58;Køge\n",
        encoding="utf-8",
    )
    r = run(db_url, "list", "import", str(liste), "--campaign", "Efterår")
    assert r.exit_code == 0, r.output
    assert "3 virksomheder importeret" in r.stdout
    assert "2 virksomheder på spærrelisten kan ikke ringes op" in r.stdout
    assert f"Ærø Bageri (CVR {A}): Ringede selv" in r.stdout
    assert f"Samme nummer (CVR {C}): Frabeder sig henvendelser" in r.stdout
    r = run(db_url, "list", "import", str(liste), "--campaign", "Efterår", "--json")
    payload = json.loads(r.stdout)
    assert payload["blocked"] == 2
    assert [b["name"] for b in payload["blocked_companies"]] == ["Ærø Bageri", "Samme nummer"]

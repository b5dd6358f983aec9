"""``phoner block`` end to end: add, list, remove (with reason and who), import, and
``list import`` telling which companies are blocked."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
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


def test_list_show_clearing_and_gdpr_tell_a_blocked_company(db_url: str, workspace: Path) -> None:
    """``list show`` and ``list status`` count it as spærret (with the register's reason),
    the clearing sheet marks it, a kept decision leaves it blocked, ``gdpr export`` shows
    the entry."""
    assert run(db_url, "init").exit_code == 0
    r = run(db_url, "campaign", "create", "Efterår", "--script", "scripts/fleksjob.toml")
    assert r.exit_code == 0, r.output
    liste = workspace / "liste.csv"
    liste.write_text(
        f"Navn;CVR;Telefon;Kommune\nÆrø Bageri;{A};33 12 34 56;Køge\nFri;{B};33 12 34 57;Køge\n",
        encoding="utf-8",
    )
    camp = ("--campaign", "Efterår")
    assert run(db_url, "list", "import", str(liste), *camp).exit_code == 0
    r = run(db_url, "block", "add", "--cvr", A, "--reason", "Ringede selv", "--by", "Karen")
    assert r.exit_code == 0, r.output
    r = run(db_url, "list", "show", *camp, "--json")
    assert [
        (c["name"], c["state"], c["blocked_reason"]) for c in json.loads(r.stdout)["companies"]
    ] == [
        ("Fri", "afventer", None),
        ("Ærø Bageri", "spaerret", "Ringede selv"),
    ]
    r = run(db_url, "list", "show", *camp, "--state", "spaerret")
    assert r.exit_code == 0, r.output
    # the table (80 columns here) wraps the reason over two lines
    assert "Spærret" in r.stdout and "Ringede" in r.stdout and "Fri" not in r.stdout
    r = run(db_url, "list", "status", *camp, "--json")
    (jc,) = json.loads(r.stdout)["jobcenters"]
    assert (jc["companies"], jc["kept"], jc["pending"], jc["blocked"]) == (2, 0, 1, 1)
    r = run(db_url, "list", "status", *camp)
    assert "2 virksomheder = 0 beholdes + 0 fjernes + 1 afventer" in r.stdout
    assert "+ 1 spærret;" in r.stdout
    sheet = workspace / "clearing.xlsx"
    r = run(db_url, "list", "clearing-export", *camp, "-j", "Køge", "--out", str(sheet))
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws is not None
    header = [c.value for c in ws[1]]
    by_name = {ws.cell(i, 4).value: i for i in range(2, 4)}
    forslag = ws.cell(by_name["Ærø Bageri"], header.index("Forslag") + 1).value
    assert forslag == "Spærret (frabeder sig henvendelser)"
    for i in by_name.values():
        ws.cell(i, header.index("Beslutning") + 1).value = "Behold"
    wb.save(sheet)
    r = run(db_url, "list", "clearing-import", str(sheet), *camp, "--by", "Karen")
    assert r.exit_code == 0, r.output
    assert "1 virksomhed beholdes, men er på spærrelisten og ringes ikke op: Ærø Bageri" in r.stdout
    r = run(db_url, "list", "status", *camp, "--json")
    (jc,) = json.loads(r.stdout)["jobcenters"]
    assert (jc["kept"], jc["blocked"]) == (1, 1)  # Fri kept; the bakery still blocked
    r = run(db_url, "gdpr", "export", "--cvr", A)
    assert r.exit_code == 0, r.output
    (entry,) = json.loads(r.stdout)["do_not_call"]
    assert (entry["cvr"], entry["begrundelse"], entry["oprettet_af"]) == (
        A,
        "Ringede selv",
        "Karen",
    )

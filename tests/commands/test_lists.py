"""``phoner list`` and ``phoner rounds`` end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import Result
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core.db import Database
from phoner.core.lists import import_run
from tests.support.lists import A, B, C, D, write_messy_csv

runner = CliRunner()


def run(db_url: str, *args: str) -> Result:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result


def _setup(db_url: str) -> None:
    assert run(db_url, "init").exit_code == 0
    r = run(db_url, "campaign", "create", "Efterår", "--script", "scripts/fleksjob.toml")
    assert r.exit_code == 0, r.output


def test_an_interrupted_import_resumes_when_run_again(
    db_url: str, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(db_url)
    path = write_messy_csv(workspace / "liste.csv")
    monkeypatch.setattr(import_run, "BATCH_ROWS", 4)
    real = import_run._write_batch

    def crash_in_batch_2(
        session: Any, plan: Any, refs: Any, import_id: int, rows: int, **kw: Any
    ) -> Any:
        if rows > 4:
            raise KeyboardInterrupt
        return real(session, plan, refs, import_id, rows, **kw)

    monkeypatch.setattr(import_run, "_write_batch", crash_in_batch_2)
    r = run(db_url, "list", "import", str(path), "--campaign", "Efterår")
    assert r.exit_code != 0
    monkeypatch.setattr(import_run, "_write_batch", real)
    r = run(db_url, "list", "import", str(path), "--campaign", "Efterår")
    assert r.exit_code == 0, r.output
    assert "Genoptager import nr. 1: 4 af 12 rækker er allerede indlæst." in r.stderr
    assert "12 rækker læst, 7 virksomheder importeret, 1 dublet flettet, 4 afvist" in r.stdout
    assert "(import nr. 1)" in r.stdout


def test_import_json_summary_and_rejects_file(db_url: str, workspace: Path) -> None:
    _setup(db_url)
    path = write_messy_csv(workspace / "liste.csv")
    r = run(db_url, "list", "import", str(path), "--campaign", "Efterår", "--json")
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout)
    assert payload == {
        "read": 12,
        "imported": 7,
        "merged_duplicates": 1,
        "rejected": 4,
        "flagged": 4,
        "blocked": 0,
        "rejects_file": str(workspace / "liste.afviste.csv"),
        "import_id": 1,
    }
    assert (workspace / "liste.afviste.csv").is_file()
    r = run(db_url, "list", "import", str(path), "--campaign", "Efterår")
    assert r.exit_code == 0
    assert "12 rækker læst, 0 virksomheder importeret, 8 dubletter flettet, 4 afvist" in r.stdout
    assert "liste.csv er importeret før (import nr. 1); intet nyt at tilføje." in r.stdout
    assert "(import nr. 2)" in r.stdout
    assert "liste.afviste.csv" in r.stdout


def test_import_refreshes_postgres_planner_statistics(pg_db: Database, workspace: Path) -> None:
    """Right after a bulk import PostgreSQL must not plan reports as if the tables were empty."""
    url = pg_db.engine.url.render_as_string(hide_password=False)
    _setup(url)

    def company_rows_known_to_planner() -> float:
        with pg_db.engine.connect() as conn:
            return float(
                conn.execute(
                    sa.text("SELECT reltuples FROM pg_class WHERE relname = 'company'")
                ).scalar_one()
            )

    assert company_rows_known_to_planner() <= 0  # never analysed: -1 (or 0)
    path = write_messy_csv(workspace / "liste.csv")
    assert run(url, "list", "import", str(path), "-c", "Efterår").exit_code == 0
    assert company_rows_known_to_planner() == 7


def test_import_errors_are_danish(db_url: str, workspace: Path) -> None:
    _setup(db_url)
    r = run(db_url, "list", "import", "mangler.csv", "--campaign", "Efterår")
    assert r.exit_code == 1
    assert "Filen findes ikke: mangler.csv" in r.output
    (workspace / "x.csv").write_text("Navn;Noget\nA;B\n", encoding="utf-8")
    r = run(db_url, "list", "import", "x.csv", "--campaign", "Efterår")
    assert r.exit_code == 1
    assert "ingen kolonne for Telefon" in r.output and "--map" in r.output
    r = run(db_url, "list", "import", "x.csv", "--campaign", "Efterår", "--map", "Noget")
    assert r.exit_code == 1 and "kolonne=felt" in r.output
    r = run(db_url, "list", "import", "x.csv", "--campaign", "Findes ikke")
    assert r.exit_code == 1 and "Kampagnen 'Findes ikke' findes ikke" in r.output


def test_clearing_sign_off_rounds_flow(db_url: str, workspace: Path) -> None:
    _setup(db_url)
    path = write_messy_csv(workspace / "liste.csv")
    assert run(db_url, "list", "import", str(path), "-c", "Efterår").exit_code == 0
    r = run(db_url, "list", "target", "-c", "Efterår", "--min-employees", "5", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["out_of_target"] == 1

    out = workspace / "koege.xlsx"
    r = run(db_url, "list", "clearing-export", "-c", "Efterår", "-j", "Køge", "--out", str(out))
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws is not None
    header = [c.value for c in ws[1]]
    cvr_col, dec_col = header.index("CVR-nr.") + 1, header.index("Beslutning") + 1
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, cvr_col).value == D:
            ws.cell(row, dec_col).value = "Fjern"
        if ws.cell(row, cvr_col).value == A:
            ws.cell(row, dec_col).value = "Nej tak"
            bad_line = row
    wb.save(out)
    r = run(db_url, "list", "clearing-import", str(out), "-c", "Efterår", "--by", "Karen")
    assert r.exit_code == 0  # rejected rows are reported, as by every importer (issue 15)
    assert "1 beslutning ændret" in r.stdout  # singular for one
    assert f"linje {bad_line}: Ukendt beslutning 'Nej tak'" in r.stderr

    r = run(db_url, "list", "show", "-c", "Efterår", "-j", "Køge", "--json")
    assert r.exit_code == 0
    companies = {c["cvr"]: c for c in json.loads(r.stdout)["companies"]}
    assert set(companies) == {A, C, D}
    assert companies[D]["state"] == "fjern"
    assert companies[C]["state"] == "uden_for_maalgruppe"
    assert companies[A]["phones"] == ["+4533123456", "+4520304050"]
    assert companies[A]["jobcenter"] == "Jobcenter Køge"
    assert companies[A]["round"] is None
    r = run(db_url, "list", "show", "-c", "Efterår", "--state", "fjern", "--json")
    assert [c["cvr"] for c in json.loads(r.stdout)["companies"]] == [D]

    r = run(db_url, "list", "sign-off", "-c", "Efterår", "-j", "Køge", "--by", "Karen")
    assert r.exit_code == 0, r.output
    assert "godkendt (version 1): 1 beholdes, 1 fjernes, 1 er uden for målgruppen" in r.stdout
    r = run(db_url, "list", "sign-off", "-c", "Efterår", "-j", "Roskilde", "--by", "Ole", "--force")
    assert r.exit_code == 0, r.output
    assert "ADVARSEL" in r.stderr and "--force" in r.stderr

    r = run(
        db_url,
        "rounds",
        "plan",
        "-c",
        "Efterår",
        "--rounds",
        "2",
        "--first",
        "2026-09-01",
        "--gap-days",
        "7",
        "--json",
    )
    assert r.exit_code == 0, r.output
    assert [x["companies"] for x in json.loads(r.stdout)["rounds"]] == [3, 2]
    assert run(db_url, "rounds", "activate", "-c", "Efterår", "--round", "1").exit_code == 0
    r = run(db_url, "rounds", "show", "-c", "Efterår", "--json")
    assert json.loads(r.stdout) == {
        "rounds": [
            {"round": 1, "date": "2026-09-01", "state": "active", "companies": 3, "done": 0},
            {"round": 2, "date": "2026-09-08", "state": "planned", "companies": 2, "done": 0},
        ]
    }
    r = run(db_url, "rounds", "close", "-c", "Efterår", "--round", "2")
    assert r.exit_code == 1 and "kun en aktiv runde" in r.output
    r = run(db_url, "list", "status", "-c", "Efterår", "--json")
    status = {j["jobcenter"]: j for j in json.loads(r.stdout)["jobcenters"]}
    assert status["Jobcenter Roskilde"]["forced"] is True
    assert B  # B is on Roskilde's list


def test_known_list(db_url: str, workspace: Path) -> None:
    _setup(db_url)
    path = write_messy_csv(workspace / "liste.csv")
    assert run(db_url, "list", "import", str(path), "-c", "Efterår").exit_code == 0
    (workspace / "kendte.csv").write_text(f"CVR\n{A}\n{C}\n", encoding="utf-8")
    r = run(db_url, "list", "known", "kendte.csv", "-j", "Køge", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {
        "read": 2,
        "added": 2,
        "proposed": 2,
        "rejected": 0,
        "rejects_file": None,
    }
    r = run(db_url, "list", "show", "-c", "Efterår", "--state", "foreslaaet_fjernet", "--json")
    assert sorted(c["cvr"] for c in json.loads(r.stdout)["companies"]) == [A, C]


def _cvrs(n: int) -> list[str]:
    weights = (2, 7, 6, 5, 4, 3, 2, 1)
    out: list[str] = []
    number = 20000000
    while len(out) < n:
        number += 1
        if sum(w * int(d) for w, d in zip(weights, str(number), strict=True)) % 11 == 0:
            out.append(str(number))
    return out


def test_status_counts_each_company_once_like_sign_off(db_url: str, workspace: Path) -> None:
    """20 companies, 4 of them outside the target group, 3 removed and 1 on the do-not-call
    register: status and sign-off say 12 + 3 + 4 + 1 = 20, before the sign-off, after it
    and after a reopen."""
    _setup(db_url)
    cvrs = _cvrs(20)
    rows = [f"Firma {i};{cvr};33 12 {i:02d} 00;Køge;{i}" for i, cvr in enumerate(cvrs, 1)]
    path = workspace / "liste.csv"
    path.write_text("Firmanavn;CVR;Telefon;Kommune;Antal ansatte\n" + "\n".join(rows) + "\n")
    camp = ("--campaign", "Efterår")
    assert run(db_url, "list", "import", str(path), *camp, "--jobcenter", "Køge").exit_code == 0
    assert run(db_url, "list", "target", *camp, "--min-employees", "5").exit_code == 0
    # two removals among the out-of-target companies (clearing still decides on them)
    for cvr in (cvrs[0], cvrs[1], cvrs[10], cvrs[11], cvrs[12]):
        r = run(db_url, "list", "decide", *camp, "--cvr", cvr, "--decision", "Fjern", "--by", "K")
        assert r.exit_code == 0, r.output
    assert run(db_url, "block", "add", "--cvr", cvrs[19], "--by", "K").exit_code == 0
    keys = ("companies", "kept", "removed", "pending", "out_of_target", "blocked")

    def status() -> dict[str, int]:
        r = run(db_url, "list", "status", *camp, "--json")
        (jc,) = json.loads(r.stdout)["jobcenters"]
        return {k: jc[k] for k in keys}

    before = status()
    assert before == dict(zip(keys, (20, 0, 3, 12, 4, 1), strict=True))
    r = run(db_url, "list", "sign-off", *camp, "--jobcenter", "Køge", "--by", "K")
    assert r.exit_code == 0, r.output
    assert "12 beholdes, 3 fjernes, 4 er uden for målgruppen, 1 er spærret" in r.stdout
    expected = dict(zip(keys, (20, 12, 3, 0, 4, 1), strict=True))
    assert status() == expected
    assert run(db_url, "list", "reopen", *camp, "--jobcenter", "Køge", "--by", "K").exit_code == 0
    assert status() == expected
    r = run(db_url, "list", "status", *camp)
    assert "20 virksomheder = 12 beholdes + 3 fjernes + 0 afventer" in r.stdout
    assert "+ 4 uden for målgruppen + 1 spærret;" in r.stdout and "tælles én gang" in r.stdout

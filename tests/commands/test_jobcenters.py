"""``phoner jobcenters list``: every jobcenter and unit with its kind and areas."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from phoner.cli import app
from phoner.core.db import Database
from phoner.core.jobcenters import find_jobcenter

runner = CliRunner()


def test_jobcenters_list_shows_every_unit_with_its_kind(
    db: Database, db_url: str, workspace: Path
) -> None:
    r = runner.invoke(app, ["--db", db_url, "jobcenters", "list"])
    assert r.exit_code == 0 and "Ingen jobcentre endnu" in r.stdout
    with db.session(write=True) as s:
        find_jobcenter(session=s, text="Bornholm")
        find_jobcenter(session=s, text="Jobservice Danmark", allow_unit=True)
    r = runner.invoke(app, ["--db", db_url, "jobcenters", "list"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    bornholm = next(line for line in r.stdout.splitlines() if "Jobcenter Bornholm" in line)
    unit = next(line for line in r.stdout.splitlines() if "Jobservice Danmark" in line)
    assert "Jobcenter Bornholm  Bornholm" in bornholm and "Hovedstaden" in bornholm
    assert "Enhed" in unit and "Ikke fordelt" not in unit
    assert "Ikke fordelt" in r.stdout.splitlines()[-1]  # the note on units
    # readable at 80 columns (a pipe): no heading or cell cut, a row a line
    r = runner.invoke(app, ["--db", db_url, "jobcenters", "list"], env={"COLUMNS": "80"})
    assert "…" not in r.stdout and "RAR-område" in r.stdout and "Virksomheder" in r.stdout
    assert any(
        "Jobcenter Bornholm" in line and "Hovedstaden" in line for line in r.stdout.splitlines()
    )
    assert "--areas rbr-2025" in r.stdout
    r = runner.invoke(app, ["--db", db_url, "jobcenters", "list", "--json"])
    rows = json.loads(r.stdout)["jobcenters"]
    assert [(j["name"], j["kind"], j["municipality"], j["municipality_code"]) for j in rows] == [
        ("Jobcenter Bornholm", "kommune", "Bornholm", 400),
        ("Jobservice Danmark", "enhed", None, None),
    ]


def test_report_visits_refuses_an_unknown_scheme_in_danish(db_url: str, workspace: Path) -> None:
    r = runner.invoke(
        app, ["--db", db_url, "report", "visits", "--campaign", "X", "--areas", "rar-2016"]
    )
    assert r.exit_code == 2
    assert "Ugyldig værdi for '--areas'" in r.output and "'rbr-2025'" in r.output
    assert "Traceback" not in r.output

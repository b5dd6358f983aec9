"""Importing a contractor's outcomes: per-row rejects, nothing valid lost, idempotent."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from phoner.core.db import Database
from phoner.core.errors import InvalidInput
from phoner.core.models import CallAttempt, CallState, Company, ContactHistory, FollowUp, Outcome
from phoner.core.outcomes_import import import_outcomes, parse_time
from phoner.core.phones import cvr_check_digit
from phoner.core.queue import claims
from tests.support.worlds import MONDAY_10, make_campaign

NOW = MONDAY_10 + dt.timedelta(days=1)


def valid_cvr(i: int) -> str:
    n = 1000000 + i
    while True:
        digit = cvr_check_digit(str(n))
        if digit is not None:
            return f"{n}{digit}"
        n += 1


def setup_cvrs(db: Database, n: int) -> tuple[int, list[str]]:
    s = make_campaign(db, n, name="Ekstern", rounds=2)
    cvrs = [valid_cvr(i * 10) for i in range(n)]
    with db.session(write=True) as session:
        rows = session.exec(select(Company).order_by(col(Company.id))).all()
        for row, cvr in zip(rows, cvrs, strict=True):
            row.cvr = cvr
            session.add(row)
    return s.campaign_id, cvrs


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(header)
        w.writerows(rows)
    return path


def states(db: Database) -> dict[str, Company]:
    with db.session() as session:
        return {c.cvr or "": c for c in session.exec(select(Company)).all()}


def test_import_records_valid_rows_and_rejects_bad_ones(db: Database, tmp_path: Path) -> None:
    _, cvrs = setup_cvrs(db, 6)
    path = write_csv(
        tmp_path / "udfald.csv",
        ["CVR-nr.", "Udfald", "Runde", "Phoner", "Tidspunkt", "Note"],
        [
            [cvrs[0], "Vil kontaktes", "1", "Kontrakt A/S", "23-11-2026 10:15", "Ring efter 12"],
            [cvrs[1], "ikke_interesseret", "", "", "2026-11-23 11.00", ""],
            [cvrs[2], "IKKE TRUFFET", "", "", "", ""],
            ["12345678", "vil_kontaktes", "", "", "", ""],  # bad check digit
            [cvrs[3], "måske", "", "", "", ""],
            ["", "har_kontakt", "", "", "", ""],
            [cvrs[4], "har kontakt", "7", "", "", ""],
            [cvrs[5], "lukket", "", "", "i morgen", ""],
            [valid_cvr(999), "har_kontakt", "", "", "", ""],  # not on the list
        ],
    )
    s = import_outcomes(db=db, path=path, campaign_name="Ekstern", now=NOW)
    assert s.to_json() == {
        "read": 9,
        "recorded": 3,
        "rejected": 6,
        "rejects_file": str(tmp_path / "udfald.afviste.csv"),
    }
    by = states(db)
    assert by[cvrs[0]].final_outcome == Outcome.VIL_KONTAKTES
    assert by[cvrs[1]].final_outcome == Outcome.IKKE_INTERESSERET
    assert by[cvrs[2]].call_state == CallState.RETRY
    assert by[cvrs[3]].attempts == 0
    with db.session() as session:
        attempt = session.exec(
            select(CallAttempt).where(CallAttempt.outcome == Outcome.VIL_KONTAKTES)
        ).one()
        assert attempt.phoner == "Kontrakt A/S" and attempt.source == "import"
        assert attempt.note == "Ring efter 12" and attempt.import_key
        assert attempt.ended_at == dt.datetime(2026, 11, 23, 9, 15, tzinfo=dt.UTC)
        default = session.exec(
            select(CallAttempt).where(CallAttempt.outcome == Outcome.IKKE_INTERESSERET)
        ).one()
        assert default.phoner == "Ekstern"
        assert len(session.exec(select(ContactHistory)).all()) == 2
        assert session.exec(select(FollowUp)).one().attempt_id == attempt.id
    with (tmp_path / "udfald.afviste.csv").open(encoding="utf-8-sig") as fh:
        rejected = list(csv.reader(fh, delimiter=";"))
    assert rejected[0][:3] == ["Linje", "Årsag", "CVR-nr."]
    reasons = {int(r[0]): r[1] for r in rejected[1:]}
    assert set(reasons) == {5, 6, 7, 8, 9, 10}
    assert "Ugyldigt CVR" in reasons[5]
    assert "Ukendt udfald 'måske'" in reasons[6]
    assert "CVR mangler" in reasons[7]
    assert "ingen runde 7" in reasons[8]
    assert "kan ikke læses" in reasons[9]
    assert "findes ikke på kampagnens liste" in reasons[10]


def test_import_is_idempotent_and_rejects_can_be_reimported(db: Database, tmp_path: Path) -> None:
    _, cvrs = setup_cvrs(db, 3)
    path = write_csv(
        tmp_path / "u.csv",
        ["CVR", "Udfald"],
        [[cvrs[0], "ikke_truffet"], [cvrs[0], "ikke_truffet"], [cvrs[1], "nej"]],
    )
    first = import_outcomes(db=db, path=path, campaign_name="Ekstern", now=NOW)
    assert (first.recorded, first.rejected) == (2, 1)  # two identical rows = two calls
    again = import_outcomes(db=db, path=path, campaign_name="Ekstern", now=NOW)
    assert (again.recorded, again.rejected, again.already_recorded) == (0, 1, 2)
    assert states(db)[cvrs[0]].attempts == 2
    # fix the rejected row in the rejects file and import that file
    rejects = tmp_path / "u.afviste.csv"
    text = rejects.read_text(encoding="utf-8-sig").replace(";nej", ";har_kontakt")
    rejects.write_text(text, encoding="utf-8-sig")
    fixed = import_outcomes(db=db, path=rejects, campaign_name="Ekstern", now=NOW)
    assert (fixed.read, fixed.recorded, fixed.rejected) == (1, 1, 0)
    assert states(db)[cvrs[1]].final_outcome == Outcome.HAR_KONTAKT


def test_xlsx_and_older_calls_do_not_move_the_queue(db: Database, tmp_path: Path) -> None:
    _, cvrs = setup_cvrs(db, 2)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["CVR", "Udfald", "Tidspunkt"])
    ws.append([int(cvrs[0]), "Har fleksjobbere", dt.datetime(2026, 11, 23, 14, 0)])
    ws.append([int(cvrs[0]), "Ikke truffet", dt.datetime(2026, 11, 23, 9, 30)])  # older
    path = tmp_path / "u.xlsx"
    wb.save(path)
    s = import_outcomes(db=db, path=path, campaign_name="Ekstern", now=NOW)
    assert s.recorded == 2 and s.rejected == 0
    row = states(db)[cvrs[0]]
    assert row.call_state == CallState.DONE and row.final_outcome == Outcome.HAR_FLEKSJOBBERE
    assert row.attempts == 2 and row.last_outcome == Outcome.HAR_FLEKSJOBBERE


def test_company_held_by_a_phoner_is_rejected(db: Database, tmp_path: Path) -> None:
    campaign_id, cvrs = setup_cvrs(db, 1)
    claim = claims.claim_next(db=db, campaign_id=campaign_id, phoner="Anne", ignore_hours=True)
    assert claim is not None
    path = write_csv(tmp_path / "u.csv", ["CVR", "Udfald"], [[cvrs[0], "har_kontakt"]])
    s = import_outcomes(db=db, path=path, campaign_name="Ekstern")
    assert s.recorded == 0 and s.rejected == 1
    assert "Anne ringer til virksomheden lige nu" in s.rejects[0].reason


def test_missing_columns_and_unknown_campaign(db: Database, tmp_path: Path) -> None:
    setup_cvrs(db, 1)
    path = write_csv(tmp_path / "u.csv", ["Firma", "Resultat"], [["x", "har_kontakt"]])
    with pytest.raises(InvalidInput, match="CVR mangler"):
        import_outcomes(db=db, path=path, campaign_name="Ekstern")
    ok = write_csv(tmp_path / "v.csv", ["CVR", "Udfald"], [["12345674", "har_kontakt"]])
    with pytest.raises(Exception, match="findes ikke"):
        import_outcomes(db=db, path=ok, campaign_name="Ukendt")


def test_parse_time() -> None:
    assert parse_time("") is None
    assert parse_time("23.11.2026 kl. 10.15") == dt.datetime(2026, 11, 23, 9, 15, tzinfo=dt.UTC)
    assert parse_time("2026-06-01") == dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        parse_time("i går")


def test_cli_outcomes_import_json(workspace: Path) -> None:
    from phoner.cli import app
    from phoner.core.db import open_database

    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    db = open_database(f"sqlite:///{workspace / 'phoner.db'}")
    try:
        _, cvrs = setup_cvrs(db, 2)
    finally:
        db.dispose()
    path = write_csv(
        workspace / "u.csv", ["CVR", "Udfald"], [[cvrs[0], "Vil kontaktes"], ["x", "y"]]
    )
    result = runner.invoke(
        app, ["outcomes", "import", str(path), "--campaign", "Ekstern", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload == {
        "read": 2,
        "recorded": 1,
        "rejected": 1,
        "rejects_file": str(workspace / "u.afviste.csv"),
    }
    result = runner.invoke(app, ["outcomes", "import", str(path), "--campaign", "Ekstern"])
    assert result.exit_code == 0
    assert "0 udfald registreret" in result.output and "allerede importeret" in result.output

"""``phoner booking import``: bookings made elsewhere, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core.booking.importing import RULE_LABELS
from phoner.core.db import Database
from phoner.core.models import Booking, OutboxMessage
from tests.support.booking_files import WORLD_CVR, import_world, write_bookings

runner = CliRunner()
CAMPAIGN = "Forår 2027"
HEADERS = ["CVR", "Konsulent", "Start", "Varighed"]


def invoke(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_json_summary_and_the_rejects_file(db: Database, db_url: str, tmp_path: Path) -> None:
    iw = import_world(db, companies=3)
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "bureau.csv",
        [
            [iw.cvrs[0], k0, "2026-10-05 09:00", "60"],
            [iw.cvrs[1], k0, "2026-10-03 10:00", "60"],  # a Saturday: outside the rules
            [iw.cvrs[2], "ingen@nogen.dk", "2026-10-05 13:00", "60"],
        ],
        headers=HEADERS,
    )
    target = tmp_path / "ret-mig.csv"
    args = ["booking", "import", str(path), "--campaign", CAMPAIGN, "--rejects", str(target)]
    code, out = invoke(db_url, *args, "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert {k: summary[k] for k in ("read", "imported", "unchanged", "rejected")} == {
        "read": 3,
        "imported": 2,
        "unchanged": 0,
        "rejected": 1,
    }
    assert summary["rejects_file"] == str(target) and target.exists()
    assert set(summary["outside_rules"]) == set(RULE_LABELS)
    assert summary["outside_rules"]["arbejdsdag"] == 1 and summary["outside_rules_rows"] == 1
    code, out = invoke(db_url, *args, "--json")
    assert json.loads(out)["unchanged"] == 2 and json.loads(out)["imported"] == 0
    with db.session() as s:
        assert len(s.exec(select(Booking)).all()) == 2
        assert s.exec(select(OutboxMessage)).all() == []


def test_text_summary_names_rules_and_rejected_lines(sqlite_db: Database, tmp_path: Path) -> None:
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    iw = import_world(sqlite_db, companies=2)
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "bureau.csv",
        [
            [iw.cvrs[0], k0, "2026-10-03 09:00", "60"],
            [iw.cvrs[1], k0, "2026-10-05 25:00", "60"],
        ],
        headers=HEADERS,
    )
    code, out = invoke(url, "booking", "import", str(path), "--campaign", CAMPAIGN, "--by", "Bo")
    assert code == 0, out
    assert "bureau.csv: 2 rækker læst, 1 besøg importeret, 0 uændret, 1 afvist." in out
    assert "1 besøg ligger uden for kampagnens bookingregler (importeret alligevel):" in out
    assert "på en af konsulentens fridage" in out
    assert "linje 3: kolonnen 'Start': '2026-10-05 25:00' er ikke et tidspunkt." in out
    assert f"De afviste rækker står i {tmp_path / 'bureau.afviste.csv'}" in out
    with sqlite_db.session() as s:
        (b,) = s.exec(select(Booking)).all()
        assert b.booked_by == "Bo"


def test_a_file_without_the_required_columns_is_a_clear_error(
    sqlite_db: Database, tmp_path: Path
) -> None:
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    import_world(sqlite_db, companies=1)
    path = write_bookings(tmp_path / "b.csv", [[WORLD_CVR, "x"]], headers=["Firma", "Hvem"])
    code, out = invoke(url, "booking", "import", str(path), "--campaign", CAMPAIGN)
    assert code != 0
    assert f"{path}: filen mangler kolonnen CVR (eller P-nr.) og Konsulent og Start" in out
    assert "Kolonnerne i filen er: 'Firma', 'Hvem'." in out
    code, out = invoke(url, "booking", "import", str(path), "--campaign", "Findes ikke")
    assert code != 0 and "Findes ikke" in out


def test_imported_visits_are_counted_by_report_visits(sqlite_db: Database, tmp_path: Path) -> None:
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    iw = import_world(sqlite_db, companies=3)
    k0 = iw.consultant_emails[0]
    rows = [[cvr, k0, f"2026-10-0{5 + n} 09:00", "60"] for n, cvr in enumerate(iw.cvrs)]
    path = write_bookings(tmp_path / "b.csv", rows, headers=HEADERS)
    code, out = invoke(url, "booking", "import", str(path), "--campaign", CAMPAIGN)
    assert code == 0, out
    code, out = invoke(url, "report", "visits", "--campaign", CAMPAIGN, "--format", "json")
    assert code == 0, out
    assert '"booked": 3' in out


def test_unwritable_rejects_file_says_the_good_rows_are_in(
    sqlite_db: Database, tmp_path: Path
) -> None:
    # The bookings are committed batch by batch before the rejects are written: a
    # rejects file that cannot be written said only "Kan ikke skrive ...", as if nothing
    # was imported.
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    iw = import_world(sqlite_db, companies=2)
    path = write_bookings(
        tmp_path / "bureau.csv",
        [
            [iw.cvrs[0], iw.consultant_emails[0], "2026-10-05 09:00", "60"],
            [iw.cvrs[1], "ingen@nogen.dk", "2026-10-05 13:00", "60"],
        ],
        headers=HEADERS,
    )
    folder = tmp_path / "mappe"
    folder.mkdir()
    args = ["booking", "import", str(path), "--campaign", CAMPAIGN, "--rejects", str(folder)]
    result = runner.invoke(app, ["--db", url, *args, "--json"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    error = json.loads(result.stdout)
    assert "1 besøg er importeret" in error["error"] and "afviste rækker" in error["error"]
    assert "--rejects" in error["hint"]
    with sqlite_db.session() as s:
        assert len(s.exec(select(Booking)).all()) == 1


def test_sheet_picks_the_workbooks_sheet(sqlite_db: Database, tmp_path: Path) -> None:
    # The list and register imports had --sheet; the bookings import read the first
    # sheet only, so a workbook with the bookings on its second sheet could not go in.
    import openpyxl

    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    iw = import_world(sqlite_db, companies=1)
    path = tmp_path / "bureau.xlsx"
    wb = openpyxl.Workbook()
    front = wb.active
    assert front is not None
    front.title = "Forside"
    front.append(["Bookinger fra bureauet"])
    front.append(["Se arket Besøg"])
    visits = wb.create_sheet("Besøg")
    visits.append(HEADERS)
    visits.append([iw.cvrs[0], iw.consultant_emails[0], "2026-10-05 09:00", "60"])
    wb.save(path)
    args = ["booking", "import", str(path), "--campaign", CAMPAIGN]
    code, out = invoke(url, *args)
    assert code != 0 and "mangler kolonnen" in out
    code, out = invoke(url, *args, "--sheet", "besøg", "--json")
    assert code == 0, out
    assert json.loads(out)["imported"] == 1
    result = runner.invoke(app, ["--db", url, *args, "--sheet", "Ark9", "--json"])
    assert result.exit_code != 0
    assert "intet ark, der hedder 'Ark9'" in json.loads(result.stdout)["error"]

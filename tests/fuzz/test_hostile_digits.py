"""Digits of other scripts in digit fields, through the importers and gdpr export.

"²²²²²²²²" as a CVR was an unexpected error (``"²".isdigit()`` is True, ``int("²")``
raises) in list import (losing the good rows too), outcomes import and gdpr export; the
same CVR in Arabic-Indic or full-width digits passed the check and was stored as
written, so one company became three.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core import outcomes_import
from phoner.core.lists import clearing, importer, suppression
from phoner.core.models import Campaign, Company
from tests.support.fuzz.hostile import ARABIC_INDIC, FULL_WIDTH, SUPERSCRIPT
from tests.support.fuzz.world import Base


def _csv(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(base: Base, path: Path) -> importer.ImportSummary:
    with base.db.session(write=True) as s:
        camp = s.get(Campaign, base.campaign_id)
        assert camp is not None
        return importer.import_list(session=s, campaign=camp, path=path, write_rejects=False)


def test_list_import_superscript_cvr_is_a_reject_and_the_good_rows_go_in(base: Base) -> None:
    path = _csv(
        base.folder,
        "hævet.csv",
        [
            "Firmanavn;CVR-nr.;Telefon",
            "Bager ApS;12345674;33123456",
            "Hævet ApS;²²²²²²²²;33123457",
            "Smed ApS;23456788;33123458",
        ],
    )
    summary = _import(base, path)
    assert (summary.read, summary.imported, summary.rejected) == (3, 2, 1)
    assert summary.rejects[0].line == 3 and "Ugyldigt CVR-nummer" in summary.rejects[0].reason


def test_list_import_one_cvr_in_three_scripts_is_one_company(base: Base) -> None:
    cvr = "12345674"
    path = _csv(
        base.folder,
        "skrifter.csv",
        [
            "Firmanavn;CVR-nr.;Telefon;P-nummer;Postnr.;Antal ansatte",
            f"Bager ApS;{cvr};33123456;1012345678;4600;12",
            f"Bager ApS;{cvr.translate(ARABIC_INDIC)};33123456;;;",
            f"Bager ApS;{cvr.translate(FULL_WIDTH)};33123456;;;",
            f"Smed ApS;23456788;{'33123458'.translate(FULL_WIDTH)};"
            f"{'1012345679'.translate(FULL_WIDTH)};{'4100'.translate(ARABIC_INDIC)};"
            f"{'25'.translate(ARABIC_INDIC)}",
        ],
    )
    summary = _import(base, path)
    assert (summary.imported, summary.merged_duplicates, summary.rejected) == (2, 2, 0)
    with base.db.session() as s:
        bager = s.exec(select(Company).where(Company.name == "Bager ApS")).all()
        smed = s.exec(select(Company).where(Company.name == "Smed ApS")).one()
    assert [c.cvr for c in bager] == [cvr]
    assert (smed.phones, smed.p_number, smed.postcode, smed.employees) == (
        ["+4533123458"],
        "1012345679",
        "4100",
        25,
    )


def test_list_import_malformed_head_counts_are_rejects(base: Base) -> None:
    path = _csv(
        base.folder,
        "ansatte.csv",
        [
            "Firmanavn;Telefon;Antal ansatte",
            "A ApS;33123456;1e309",
            "B ApS;33123457;−5",
            "C ApS;33123458;10-19",
            "D ApS;33123459;-3",
        ],
    )
    summary = _import(base, path)
    assert (summary.imported, summary.rejected) == (1, 3)
    assert [(r.line, r.reason.split(" ")[:2]) for r in summary.rejects] == [
        (2, ["Antal", "ansatte"]),
        (3, ["Antal", "ansatte"]),
        (5, ["Antal", "ansatte"]),
    ]
    with base.db.session() as s:
        c = s.exec(select(Company).where(Company.name == "C ApS")).one()
    assert c.employees == 10


def test_outcomes_import_superscript_and_arabic_cvr(base: Base) -> None:
    known = base.cvrs[6]
    path = _csv(
        base.folder,
        "udfald.csv",
        ["CVR;Udfald", "²²²²²²²²;ikke_truffet", f"{known.translate(ARABIC_INDIC)};ikke_truffet"],
    )
    summary = outcomes_import.import_outcomes(
        db=base.db, path=path, campaign_name=base.campaign_name, rejects_path=base.folder / "x"
    )
    assert (summary.read, summary.recorded, summary.rejected) == (2, 1, 1)
    assert summary.rejects[0].line == 2 and "CVR" in summary.rejects[0].reason


def test_known_and_clearing_import_read_full_width_cvrs(base: Base) -> None:
    cvr = base.cvrs[0]
    path = _csv(base.folder, "kendte.csv", ["CVR-nr.", cvr.translate(FULL_WIDTH)])
    with base.db.session(write=True) as s:
        company = s.exec(select(Company).where(Company.cvr == cvr)).one()
        jobcenter = company.jobcenter_id
        from phoner.core.models import Jobcenter

        jc = s.get(Jobcenter, jobcenter)
        assert jc is not None
        known = suppression.import_known(session=s, path=path, jobcenter=jc.name)
    assert known.added == 1 and not known.rejects
    path = _csv(
        base.folder, "clearing.csv", ["CVR-nr.;Beslutning", f"{cvr.translate(ARABIC_INDIC)};Fjern"]
    )
    with base.db.session(write=True) as s:
        camp = s.get(Campaign, base.campaign_id)
        assert camp is not None
        result = clearing.clearing_import(session=s, campaign=camp, path=path, by="Karen")
    assert result.changed == 1 and not result.errors


def test_gdpr_export_odd_digit_cvrs(base: Base, db_url: str) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["--db", db_url, "gdpr", "export", "--cvr", "²²²²²²²²"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "Ugyldigt CVR-nummer" in r.output
    cvr = base.cvrs[0]
    r = runner.invoke(app, ["--db", db_url, "gdpr", "export", "--cvr", cvr.translate(ARABIC_INDIC)])
    assert r.exit_code == 0, r.output
    assert f'"cvr": "{cvr}"' in r.stdout


def test_superscript_is_what_the_fixture_says() -> None:
    assert "22".translate(SUPERSCRIPT) == "²²"

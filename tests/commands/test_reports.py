"""``phoner report|followups|visits|export``: the numbers reach the user in every format."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core.db import Database
from phoner.core.models import Booking, Company, FollowUp, VisitResult
from tests.support.worlds import reports_world as build

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def url(db: Database, db_url: str, workspace: Path) -> str:
    with db.session(write=True) as s:
        build(s)
    return db_url


def test_report_rounds_all_formats(url: str, tmp_path: Path) -> None:
    code, out = invoke("--db", url, "report", "rounds", "--campaign", "Efterår")
    assert code == 0, out
    assert "Antal virksomheder pr. omgang" in out
    assert "63 %" in out and "46 %" in out
    assert "Nævner: alle virksomheder i omgangen" in out
    code, out = invoke("--db", url, "report", "rounds", "-c", "Efterår", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["total"]["companies"] == 13
    assert data["rounds"][0]["response_rate"] == 0.625
    code, out = invoke("--db", url, "report", "rounds", "-c", "Efterår", "-f", "csv")
    assert code == 0, out
    rows = list(csv.reader(io.StringIO(out), delimiter=";"))
    assert rows[0] == ["Antal virksomheder pr. omgang"]
    assert rows[2][:2] == ["1", "8"] and rows[2][-1] == "63"
    code, out = invoke("--db", url, "report", "rounds", "-c", "Efterår", "-f", "md")
    assert code == 0 and "| **I alt** | **13** |" in out
    xlsx = tmp_path / "omgange.xlsx"
    code, out = invoke(
        "--db", url, "report", "rounds", "-c", "Efterår", "-f", "xlsx", "-o", str(xlsx)
    )
    assert code == 0, out
    wb = load_workbook(xlsx)
    sheet = list(wb["Antal"].iter_rows(values_only=True))
    assert sheet[1] == ("1", 8, 2, 1, 1, 1, 5, 3, 0.625)
    assert sheet[-1][:8] == ("I alt", 13, 3, 1, 1, 1, 6, 7)
    assert sheet[-1][8] == pytest.approx(6 / 13, abs=1e-15)
    pct = list(wb["Pct af virksomheder"].iter_rows(values_only=True))
    assert pct[1] == ("1", 8, 0.25, 0.125, 0.125, 0.125)
    assert pct[3][2:] == (None, None, None, None)  # empty round: no denominator


def test_xlsx_needs_out(url: str) -> None:
    code, out = invoke("--db", url, "report", "visits", "-c", "Efterår", "-f", "xlsx")
    assert code == 1
    assert "--out" in out


def test_other_reports_and_unknown_campaign(url: str) -> None:
    for name in ("rates", "followups", "visits", "phoners"):
        code, out = invoke("--db", url, "report", name, "--campaign", "Efterår", "-f", "json")
        assert code == 0, out
        assert json.loads(out)["campaign"] == "Efterår"
    code, out = invoke("--db", url, "report", "visits", "--campaign", "Efterår")
    assert code == 0 and "Hele landet" in out and "Ikke fordelt" in out
    code, out = invoke("--db", url, "report", "rounds", "--campaign", "Findes ikke")
    assert code == 1 and "findes ikke" in out


def test_followups_list_and_done(url: str, db: Database) -> None:
    code, out = invoke("--db", url, "followups", "list", "--campaign", "Efterår")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert "OVERSKREDET" in lines[0]
    assert lines[-1].startswith("3 opfølgninger")
    code, out = invoke(
        "--db", url, "followups", "list", "-c", "Efterår", "--consultant", "Ole", "--json"
    )
    data = json.loads(out)
    assert [f["company"] for f in data["followups"]] == ["C"]
    fid = data["followups"][0]["id"]
    code, out = invoke("--db", url, "followups", "done", str(fid), "--by", "ole", "--note", "ok")
    assert code == 0 and f"#{fid}" in out
    code, out = invoke("--db", url, "followups", "done", str(fid), "--by", "ole")
    assert code == 1 and "allerede" in out
    with db.session() as s:
        f = s.get(FollowUp, fid)
        assert f is not None and f.done_by == "ole" and f.note == "ok"


def test_visits_result_list_and_import(url: str, db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        n = s.exec(select(Company).where(Company.name == "N")).one()
        booking = s.exec(select(Booking).where(Booking.company_id == n.id)).one()
        bid = booking.id
    code, out = invoke(
        "--db", url, "visits", "result", str(bid), "--status", "afholdt",
        "-a", "fleksjob=1", "-a", "Jobrotation=2", "--by", "pia",
    )  # fmt: skip
    assert code == 0, out
    assert "3 aftalte pladser" in out
    code, out = invoke("--db", url, "visits", "result", str(bid), "--status", "måske")
    assert code == 1 and "Ukendt status" in out
    code, out = invoke("--db", url, "visits", "result", str(bid), "-s", "afholdt", "-a", "x")
    assert code == 1 and "KATEGORI=ANTAL" in out
    code, out = invoke("--db", url, "visits", "list", "--campaign", "Efterår", "--json")
    visits = {v["company"]: v for v in json.loads(out)["visits"]}
    assert visits["N"]["agreements"] == {"fleksjob": 1, "jobrotation": 2}
    f = tmp_path / "res.csv"
    f.write_text(
        f"Booking-id;Status;Fleksjob\n{bid};Afkortet/telefonisk;4\n999;Afholdt;\n", "utf-8"
    )
    code, out = invoke("--db", url, "visits", "import", str(f), "--campaign", "Efterår")
    assert code == 0, out
    assert "0 besøg registreret, 1 rettet, 1 række afvist" in out  # singular for one
    assert (tmp_path / "res.afviste.csv").exists()
    with db.session() as s:
        r = s.exec(select(VisitResult).where(VisitResult.booking_id == bid)).one()
        assert r.status.value == "afkortet_telefonisk"


def test_export_leads(url: str, tmp_path: Path) -> None:
    out_file = tmp_path / "leads.xlsx"
    code, out = invoke(
        "--db", url, "export", "leads", "--campaign", "Efterår", "--out", str(out_file)
    )
    assert code == 0, out
    assert "3 virksomheder" in out
    wb = load_workbook(out_file)
    assert wb.sheetnames == ["Oversigt", "Jobcenter Aalborg", "Jobcenter Ringsted", "Noter"]
    overview = list(wb["Oversigt"].iter_rows(values_only=True))
    assert overview[1:] == [
        ("Jobcenter Aalborg", 1, 0, 0, 0),
        ("Jobcenter Ringsted", 2, 1, 1, 0),
        ("I alt", 3, 1, 1, 0),
    ]
    ringsted = list(wb["Jobcenter Ringsted"].iter_rows(values_only=True))
    header = ringsted[0]
    assert header[0] == "Firmanavn" and "Jobtype/funktion" in header
    assert [r[0] for r in ringsted[1:]] == ["A", "B"]
    called = header.index("Ringet")
    assert ringsted[1][called] == "man 05.10.2026 kl. 11.00"
    status = header.index("Opfølgning: status")
    assert ringsted[2][status].startswith("Udført")
    aalborg = list(wb["Jobcenter Aalborg"].iter_rows(values_only=True))
    assert aalborg[1][header.index("Besøgsstatus")] == "Aflyst af virksomheden"
    assert ringsted[1][header.index("Besøgsstatus")] == "Afholdt"


def _cvrs(n: int) -> list[str]:
    from phoner.core.phones import cvr_check_digit

    out: list[str] = []
    base = 3000000
    while len(out) < n:
        base += 1
        digit = cvr_check_digit(str(base))
        if digit is not None:
            out.append(f"{base}{digit}")
    return out


def test_reports_after_outcomes_import(db: Database, db_url: str, workspace: Path) -> None:
    """Outcomes imported from a contractor's sheet show up in the reports, counted once."""
    from tests.support import builders as b

    cvrs = _cvrs(6)
    with db.session(write=True) as s:
        from phoner.core.models import CampaignJobcenter, RoundState

        c = b.campaign(s, "Import")
        jc = b.jobcenter(s, "Roskilde")
        b.consultant(s, jc, "Sanne")
        r1, r2 = b.round_(s, c, 1), b.round_(s, c, 2)
        for r in (r1, r2):
            r.state = RoundState.ACTIVE
            s.add(r)
        assert c.id is not None and jc.id is not None
        s.add(
            CampaignJobcenter(
                campaign_id=c.id,
                jobcenter_id=jc.id,
                signed_off_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
                signed_off_by="test",
            )
        )
        for i, cvr in enumerate(cvrs):
            b.company(s, c, jc, r1 if i < 4 else r2, f"Firma {i}", cvr=cvr)
    sheet = Path("udfald.csv")
    sheet.write_text(
        "CVR;Udfald;Telefonist;Tidspunkt\n"
        f"{cvrs[0]};Vil kontaktes;ekstern1;05-10-2026 10:00\n"
        f"{cvrs[1]};Ikke interesseret;ekstern1;05-10-2026 10:10\n"
        f"{cvrs[2]};Ikke truffet;ekstern2;05-10-2026 10:20\n"
        f"{cvrs[2]};Har kontakt;ekstern2;19-10-2026 10:20\n"
        f"{cvrs[3]};Optaget;ekstern2;05-10-2026 10:30\n"
        f"{cvrs[4]};Har fleksjobbere;ekstern1;19-10-2026 11:00\n",
        encoding="utf-8",
    )
    code, out = invoke("--db", db_url, "outcomes", "import", str(sheet), "--campaign", "Import")
    assert code == 0, out
    code, out = invoke("--db", db_url, "report", "rounds", "-c", "Import", "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    assert [(r["round"], r["companies"], r["answered"]) for r in data["rounds"]] == [
        (1, 4, 3),
        (2, 2, 1),
    ]
    assert data["rounds"][0]["outcomes"] == {
        "vil_kontaktes": 1,
        "ikke_interesseret": 1,
        "har_fleksjobbere": 0,
        "har_kontakt": 1,
    }
    assert data["total"]["response_rate"] == 4 / 6
    code, out = invoke("--db", db_url, "report", "phoners", "-c", "Import", "-f", "json")
    phoners = {p["phoner"]: p for p in json.loads(out)["phoners"]}
    assert phoners["ekstern2"]["calls"] == 3 and phoners["ekstern1"]["calls"] == 3
    code, out = invoke("--db", db_url, "followups", "list", "-c", "Import", "--json")
    fus = json.loads(out)["followups"]
    assert [(f["company"], f["consultant"]) for f in fus] == [("Firma 0", "Sanne")]


def test_followups_add_for_an_agreement(url: str, db: Database) -> None:
    with db.session() as s:
        a = s.exec(select(Company).where(Company.name == "A")).one()
        held = s.exec(
            select(Booking).where(Booking.company_id == a.id, Booking.status == "booked")
        ).one()
        bid = held.id
    code, out = invoke(
        "--db", url, "followups", "add", "-c", "Efterår", "--booking", str(bid),
        "--category", "Løntilskud", "--due", "27-10-2026", "--text", "Find kandidat",
    )  # fmt: skip
    assert code == 0, out
    with db.session() as s:
        f = s.exec(select(FollowUp).where(FollowUp.description == "Find kandidat")).one()
        assert f.kind.value == "agreement" and f.agreement_id is not None
        assert f.consultant_id == held.consultant_id  # the visit's consultant by default
        assert str(f.due_date) == "2026-10-27"
    code, out = invoke(
        "--db", url, "followups", "add", "-c", "Efterår", "--cvr", "00000000",
        "--due", "2026-10-27", "--text", "x",
    )  # fmt: skip
    assert code == 1 and "findes ikke" in out
    code, out = invoke(
        "--db", url, "followups", "add", "-c", "Efterår", "--booking", str(bid),
        "--category", "fagpilot", "--due", "2026-10-27", "--text", "x",
    )  # fmt: skip
    assert code == 1 and "ingen aftale om Fagpilot" in out


def test_followups_add_with_an_unknown_category_names_that_option(url: str, db: Database) -> None:
    """`--category kaffe` answered about an `--agreement` option this command lacks."""
    code, out = invoke(
        "--db", url, "followups", "add", "-c", "Efterår", "--cvr", "00000000",
        "--category", "kaffe", "--due", "2026-10-27", "--text", "x",
    )  # fmt: skip
    assert code != 0
    assert "--category 'kaffe'" in out and "--agreement" not in out
    assert "fleksjob" in out  # the categories to choose from


def test_reasons_and_revisits_from_the_import_reach_the_reasons_report(
    db: Database, db_url: str, workspace: Path
) -> None:
    """A contractor's Begrundelse and Vend tilbage columns are stored on the call and counted by
    ``phoner report reasons``; 'Ikke nu, men senere' without a date is rejected."""
    from phoner.core.models import CampaignJobcenter, RoundState
    from tests.support import builders as b

    cvrs = _cvrs(5)
    with db.session(write=True) as s:
        c = b.campaign(s, "Grunde")
        jc = b.jobcenter(s, "Roskilde")
        r1 = b.round_(s, c, 1)
        r1.state = RoundState.ACTIVE
        assert c.id is not None and jc.id is not None
        s.add(
            CampaignJobcenter(
                campaign_id=c.id,
                jobcenter_id=jc.id,
                signed_off_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
                signed_off_by="test",
            )
        )
        for i, cvr in enumerate(cvrs):
            b.company(s, c, jc, r1, f"Firma {i}", cvr=cvr)
    sheet = Path("udfald.csv")
    sheet.write_text(
        "CVR;Udfald;Tidspunkt;Begrundelse;Vend tilbage\n"
        f"{cvrs[0]};Ikke interesseret;05-10-2026 10:00;For lille;\n"
        f"{cvrs[1]};Ikke interesseret;05-10-2026 10:10;Har en aftale med et vikarbureau;\n"
        f"{cvrs[2]};Ikke interesseret;05-10-2026 10:20;;\n"
        f"{cvrs[3]};Ikke nu, men senere;05-10-2026 10:30;;01-09-2027\n"
        f"{cvrs[4]};Ikke nu, men senere;05-10-2026 10:40;;\n",
        encoding="utf-8",
    )
    code, out = invoke("--db", db_url, "outcomes", "import", str(sheet), "--campaign", "Grunde")
    assert code == 0 and "4 udfald registreret, 1 afvist" in out, out
    rejects = Path("udfald.afviste.csv").read_text(encoding="utf-8")
    assert "kræver en dato" in rejects and "Vend tilbage" in rejects
    code, out = invoke("--db", db_url, "report", "reasons", "-c", "Grunde", "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    reasons = data["not_interested"]["reasons"]
    assert data["not_interested"]["total"] == 3
    assert (reasons["for_lille"]["companies"], reasons["andet"]["companies"]) == (1, 1)
    assert reasons["none"]["companies"] == 1
    assert data["not_interested"]["other_texts"] == [
        {"company": "Firma 1", "text": "Har en aftale med et vikarbureau"}
    ]
    assert [(r["company"], r["revisit_on"]) for r in data["not_now"]] == [("Firma 3", "2027-09-01")]
    code, out = invoke("--db", db_url, "report", "reasons", "-c", "Grunde")
    assert code == 0, out
    assert "Ikke interesseret: årsager" in out and "Bruger kun egne medarbejdere" in out
    assert "01.09.2027" in out and "25.08.2027" in out  # the day, and 5 working days before

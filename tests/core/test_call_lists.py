"""Call lists: import of messy Danish files, dedupe, suppression, clearing, sign-off."""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from phoner.core import blocks, campaigns, jobcenters
from phoner.core.db import Database
from phoner.core.errors import Conflict, InvalidInput
from phoner.core.lists import clearing, importer, signoff, suppression, targeting
from phoner.core.lists.eligibility import callable_clause
from phoner.core.models import (
    AuditLog,
    Campaign,
    CampaignJobcenter,
    ClearingReason,
    ClearingState,
    Company,
    ContactHistory,
    ContactKind,
    Jobcenter,
    Round,
    RoundState,
)
from phoner.formats.tabular import read_table
from tests.support.lists import (
    EXPECTED_REJECTS,
    HEADERS,
    ROWS,
    A,
    B,
    C,
    D,
    E,
    F,
    H,
    write_messy_csv,
    write_messy_xlsx,
)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fleksjob.toml"


def new_campaign(session: Session, name: str = "Test", **kw: object) -> Campaign:
    return campaigns.create_campaign(session=session, name=name, script=SCRIPT, **kw)


def by_cvr(session: Session, campaign: Campaign) -> dict[str | None, Company]:
    rows = session.exec(select(Company).where(Company.campaign_id == campaign.id)).all()
    return {c.cvr if c.cvr else c.name: c for c in rows}


@pytest.mark.parametrize("kind", ["cp1252", "utf-8-sig-comma", "xlsx"])
def test_messy_file_import_exact_counts_rejects_and_merges(
    db: Database, tmp_path: Path, kind: str
) -> None:
    if kind == "cp1252":
        path = write_messy_csv(tmp_path / "liste.csv")
    elif kind == "utf-8-sig-comma":
        path = write_messy_csv(tmp_path / "liste.csv", encoding="utf-8-sig", delimiter=",")
    else:
        path = write_messy_xlsx(tmp_path / "liste.xlsx")
    with db.session(write=True) as s:
        camp = new_campaign(s)
        summary = importer.import_list(session=s, campaign=camp, path=path, actor="test")
    assert summary.to_json() == {
        "read": 12,
        "imported": 7,
        "merged_duplicates": 1,
        "rejected": 4,
        "flagged": 4,
        "blocked": 0,
        "rejects_file": str(tmp_path / "liste.afviste.csv"),
    }
    assert summary.unknown_columns == ["Hjemmeside"]
    # The rejects file: Linje, Årsag, then every original column, re-importable.
    rejects = read_table(tmp_path / "liste.afviste.csv")
    assert rejects.headers == ["Linje", "Årsag", *HEADERS]
    assert [(int(r.cells[0]), r.cells[1]) for r in rejects.rows] == EXPECTED_REJECTS
    original = {line: cells for line, cells in ROWS}
    for r in rejects.rows:
        assert r.cells[2:] == original[int(r.cells[0])]
    with db.session() as s:
        camp = campaigns.get_campaign(session=s, name="Test")
        companies = by_cvr(s, camp)
        assert set(companies) == {A, B, C, D, E, H, "Uden CVR Café"}
        a = companies[A]
        # merged: phones united, first row's non-empty fields win, empty ones filled in
        assert a.phones == ["+4533123456", "+4520304050"]
        assert a.name == "Ærø Bageri ApS"
        assert a.contact_person == "Åse Bæk"
        assert a.email == "info@aeroe.dk"
        assert a.address == "Nørregade 1"
        assert a.extra == {"Hjemmeside": "aeroe.dk"}
        assert (a.industry_code, a.industry, a.employees) == ("107120", "Bagerier", 12)
        assert companies[B].phones == ["+4533123457"]
        assert companies[C].phones == ["+4533123458"]
        assert companies[D].phones == ["+4533123459", "+4540112233"]
        assert companies[D].employees == 25
        assert companies[E].phones == ["+46812345678"]
        assert companies[E].flags == ["udenlandsk_nummer"]
        assert companies["Uden CVR Café"].flags == ["mangler_cvr"]
        assert companies[B].flags == ["delt_telefon"]
        assert companies[H].flags == ["delt_telefon"]
        assert companies[C].flags == []
        jcs = {j.id: j for j in s.exec(select(Jobcenter)).all()}
        koege = jcs[a.jobcenter_id]  # type: ignore[index]
        assert (koege.name, koege.municipality_code, koege.rar_area) == (
            "Jobcenter Køge",
            259,
            "Sjælland",
        )
        assert len(s.exec(select(CampaignJobcenter)).all()) == 2
        merge = s.exec(select(AuditLog).where(AuditLog.action == "list_merge")).one()
        assert merge.entity_id == a.id
        assert merge.new == {
            "linje": 9,
            "konflikter": {
                "name": ["Ærø Bageri ApS", "Ærø Bageri"],
                "contact_person": ["Åse Bæk", "Bo Holm"],
            },
        }


def test_reimport_is_idempotent_and_rejects_file_reimports(db: Database, tmp_path: Path) -> None:
    path = write_messy_csv(tmp_path / "liste.csv")
    with db.session(write=True) as s:
        camp = new_campaign(s)
        importer.import_list(session=s, campaign=camp, path=path)
    with db.session() as s:
        camp = campaigns.get_campaign(session=s, name="Test")
        before = signoff.list_companies(session=s, campaign=camp)
        n_audit = len(s.exec(select(AuditLog)).all())
    with db.session(write=True) as s:
        camp = campaigns.get_campaign(session=s, name="Test")
        again = importer.import_list(session=s, campaign=camp, path=path)
    assert again.to_json()["imported"] == 0
    assert (again.merged_duplicates, again.rejected, again.read) == (8, 4, 12)
    with db.session() as s:
        camp = campaigns.get_campaign(session=s, name="Test")
        assert signoff.list_companies(session=s, campaign=camp) == before
        # only the import itself is logged; no merge changed anything
        assert len(s.exec(select(AuditLog)).all()) == n_audit + 1
    # fix the rejects file and import it: the fixed rows go in, the rest are rejected again
    rejects = tmp_path / "liste.afviste.csv"
    table = read_table(rejects)
    fixed = tmp_path / "rettet.csv"
    with fixed.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(table.headers)
        for r in table.rows:
            cells = list(r.cells)
            if cells[0] == "7":
                cells[2 + 2] = "33 12 34 70"
            w.writerow(cells)
    with db.session(write=True) as s:
        camp = campaigns.get_campaign(session=s, name="Test")
        third = importer.import_list(session=s, campaign=camp, path=fixed)
    assert (third.imported, third.rejected) == (1, 3)
    assert third.unknown_columns == ["Hjemmeside"]  # Linje and Årsag are not data


def test_missing_columns_and_map_overrides(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("Firma;Nummer til kontor;Noget\nA/S Test;33 12 34 56;x\n", encoding="utf-8")
    with db.session(write=True) as s:
        camp = new_campaign(s)
        with pytest.raises(InvalidInput, match="ingen kolonne for Telefon"):
            importer.import_list(session=s, campaign=camp, path=path)
        summary = importer.import_list(
            session=s,
            campaign=camp,
            path=path,
            jobcenter="Ringsted",
            overrides=importer.parse_overrides(["Nummer til kontor=phone"]),
        )
        assert (summary.imported, summary.rejected) == (1, 0)
        c = s.exec(select(Company)).one()
        assert c.extra == {"Noget": "x"}
        assert c.flags == ["mangler_cvr"]
        jc = s.get(Jobcenter, c.jobcenter_id)
        assert jc is not None and jc.name == "Jobcenter Ringsted"


def test_round_column_is_kept_and_pnumber_merges(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(
        "Navn;CVR;P-nr.;Tlf.;Kommune;Udsendelse\n"
        f"Filial 1;{A};1000000001;33 12 34 56;Køge;1\n"
        f"Filial 1 igen;;1000000001;33 12 34 57;Køge;\n"
        f"Anden;{B};;33 12 34 58;Køge;Runde 2\n"
        f"Tredje;{C};;33 12 34 59;Køge;to\n",
        encoding="utf-8",
    )
    with db.session(write=True) as s:
        camp = new_campaign(s)
        summary = importer.import_list(session=s, campaign=camp, path=path)
        assert (summary.imported, summary.merged_duplicates, summary.rejected) == (2, 1, 1)
        assert summary.rejects[0].line == 5 and "Ugyldig runde 'to'" in summary.rejects[0].reason
        rounds = {r.id: r for r in s.exec(select(Round)).all()}
        companies = by_cvr(s, camp)
        assert rounds[companies[A].round_id].number == 1  # type: ignore[index]
        assert rounds[companies[B].round_id].number == 2  # type: ignore[index]
        assert companies[A].phones == ["+4533123456", "+4533123457"]
        assert all(r.state == RoundState.PLANNED for r in rounds.values())


def test_targeting_marks_out_of_target_with_rule(db: Database, tmp_path: Path) -> None:
    path = write_messy_csv(tmp_path / "liste.csv")
    with db.session(write=True) as s:
        camp = new_campaign(s, min_employees=5)
        summary = importer.import_list(session=s, campaign=camp, path=path)
        assert summary.out_of_target == 1
        companies = by_cvr(s, camp)
        assert companies[C].out_of_target == "3 ansatte er under minimum 5"
        targeting.set_targeting(
            session=s,
            campaign=camp,
            actor="test",
            max_employees=30,
            municipalities=["Køge Kommune"],
            industries=["10", "43"],
        )
        result = targeting.refresh_list(session=s, campaign=camp)
        companies = by_cvr(s, camp)
        assert companies[B].out_of_target == "40 ansatte er over maksimum 30"
        assert companies[E].out_of_target == "kommunen Roskilde er ikke i målgruppen"
        assert companies[A].out_of_target is None  # 107120 starts with 10
        assert companies[D].out_of_target is None  # 432200 starts with 43
        assert result.out_of_target == 5  # B, C, E, H, Uden CVR (Roskilde)
        assert s.exec(select(AuditLog).where(AuditLog.action == "campaign_targeting")).one()
        with pytest.raises(InvalidInput, match="ikke en dansk kommune"):
            targeting.set_targeting(session=s, campaign=camp, actor="t", municipalities=["Xyz"])


def test_suppression_proposals(db: Database, tmp_path: Path) -> None:
    today = dt.date(2026, 11, 23)
    path = tmp_path / "l.csv"
    path.write_text(
        "Navn;CVR;Telefon;Kommune;Reklamebeskyttet\n"
        f"Kendt;{A};33 12 34 56;Køge;\n"
        f"Ringet op;{B};33 12 34 57;Køge;nej\n"
        f"Gammel kontakt;{C};33 12 34 58;Køge;\n"
        f"Beskyttet;{D};33 12 34 59;Køge;Ja\n"
        f"Ikke truffet sidst;{E};33 12 34 60;Køge;\n",
        encoding="utf-8",
    )
    known = tmp_path / "kendte.csv"
    known.write_text(f"CVR-nummer\n{A}\n12345678\n", encoding="utf-8")
    with db.session(write=True) as s:
        s.add_all(
            [
                ContactHistory(
                    cvr=B,
                    campaign_name="Forår 2026",
                    contact_date=today - dt.timedelta(days=30),
                    kind=ContactKind.CALL,
                    outcome="ikke_interesseret",
                ),
                ContactHistory(
                    cvr=C,
                    campaign_name="Forår 2025",
                    contact_date=today - dt.timedelta(days=400),
                    kind=ContactKind.VISIT,
                ),
                ContactHistory(
                    cvr=E,
                    campaign_name="Forår 2026",
                    contact_date=today - dt.timedelta(days=3),
                    kind=ContactKind.CALL,
                    outcome="ikke_truffet",
                ),
            ]
        )
        k = suppression.import_known(session=s, path=known, jobcenter="Køge", today=today)
        assert (k.read, k.added, k.proposed, [r.line for r in k.rejects]) == (2, 1, 0, [3])
        camp = new_campaign(s)
        summary = importer.import_list(session=s, campaign=camp, path=path, today=today)
        assert summary.proposed_removal == 3
        c = by_cvr(s, camp)
        assert c[A].clearing_proposal == ClearingReason.KENDT_VIRKSOMHED
        assert c[B].clearing_proposal == ClearingReason.KONTAKTET_FOR_NYLIG
        assert c[B].clearing_note == "Kontaktet 24.10.2026 i kampagnen Forår 2026"
        assert c[C].clearing_proposal is None  # 400 days ago: outside 180 days
        assert c[D].clearing_proposal == ClearingReason.REKLAMEBESKYTTET and c[D].ad_protected
        assert c[E].clearing_proposal is None  # not reached is not a substantive contact
        # a longer window brings the old visit in
        targeting.set_targeting(session=s, campaign=camp, actor="t", recent_contact_days=500)
        targeting.refresh_list(session=s, campaign=camp, today=today)
        assert by_cvr(s, camp)[C].clearing_note == "Besøgt 19.10.2025 i kampagnen Forår 2025"


def _import_koege(s: Session, tmp_path: Path) -> Campaign:
    path = tmp_path / "l.csv"
    lines = ["Navn;CVR;Telefon;Kommune"]
    for i, cvr in enumerate([A, B, C, D, E]):
        lines.append(f"Firma {i};{cvr};33 12 34 5{i};Køge")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    camp = new_campaign(s)
    importer.import_list(session=s, campaign=camp, path=path)
    return camp


def test_clearing_round_trip_through_real_xlsx(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "clearing.xlsx"
    with db.session(write=True) as s:
        camp = _import_koege(s, tmp_path)
        jc = jobcenters.find_jobcenter(session=s, text="Køge", create=False)
        assert clearing.clearing_export(session=s, campaign=camp, jobcenter=jc, out=out) == 5
    # the drop-down is in the file as Excel/LibreOffice read it
    with zipfile.ZipFile(out) as zf:
        sheet_xml = zf.read("xl/worksheets/sheet1.xml").decode()
    tags = re.findall(r"<dataValidation [^>]*>", sheet_xml)
    assert len(tags) == 1
    assert 'type="list"' in tags[0] and 'sqref="S2:S6"' in tags[0]
    assert 'showDropDown="0"' in tags[0]  # 0 = the in-cell arrow is shown
    assert '<formula1>"Behold,Fjern"</formula1>' in sheet_xml
    assert '<pane ySplit="1" topLeftCell="A2"' in sheet_xml
    assert '<autoFilter ref="A1:T6"' in sheet_xml
    # the coordinator fills it in (and makes some mistakes)
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws is not None
    header = [c.value for c in ws[1]]
    col_dec = header.index("Beslutning") + 1
    col_reason = header.index("Begrundelse") + 1
    col_cvr = header.index("CVR-nr.") + 1
    rows = {ws.cell(r, col_cvr).value: r for r in range(2, 7)}
    ws.cell(rows[A], col_dec).value = "Fjern"
    ws.cell(rows[A], col_reason).value = "Kendt virksomhed"
    ws.cell(rows[B], col_dec).value = "behold"
    ws.cell(rows[C], col_dec).value = "Måske"
    ws.cell(rows[D], col_cvr).value = "11111111"
    ws.cell(rows[D], col_dec).value = "Fjern"
    ws.append([99999, "", "", "Ny virksomhed"] + [""] * 14 + ["Behold", ""])
    wb.save(out)
    with db.session(write=True) as s:
        camp = campaigns.get_campaign(session=s, name="Test")
        result = clearing.clearing_import(session=s, campaign=camp, path=out, by="Karen")
    assert (result.read, result.changed, result.unchanged) == (6, 2, 1)
    assert [(e.line, e.reason) for e in result.errors] == [
        (rows[C], "Ukendt beslutning 'Måske' (skriv Behold eller Fjern)"),
        (
            rows[D],
            f"CVR-nr. er ændret ('11111111', men Nr. {ws.cell(rows[D], 1).value} har {D}); "
            "nøglekolonnerne må ikke ændres",
        ),
        (7, "Ukendt Nr. '99999' (ikke i kampagnen)"),
    ]
    with db.session() as s:
        camp = campaigns.get_campaign(session=s, name="Test")
        c = by_cvr(s, camp)
        assert (c[A].clearing_state, c[A].clearing_note) == (
            ClearingState.REMOVE,
            "Kendt virksomhed",
        )
        assert c[B].clearing_state == ClearingState.KEEP
        assert c[C].clearing_state == ClearingState.PENDING
        assert c[D].clearing_state == ClearingState.PENDING
        entries = s.exec(
            select(AuditLog).where(AuditLog.action == "clearing_decision").order_by(AuditLog.id)
        ).all()
        assert [(e.actor, e.entity_id, e.old, e.new) for e in entries] == [
            (
                "Karen",
                c[A].id,
                {"state": "pending", "note": None},
                {"state": "remove", "note": "Kendt virksomhed"},
            ),
            ("Karen", c[B].id, {"state": "pending", "note": None}, {"state": "keep", "note": None}),
        ]
    # the exported decisions come back unchanged on a second import
    with db.session(write=True) as s:
        camp = campaigns.get_campaign(session=s, name="Test")
        jc = jobcenters.find_jobcenter(session=s, text="Køge", create=False)
        clearing.clearing_export(session=s, campaign=camp, jobcenter=jc, out=out)
        again = clearing.clearing_import(session=s, campaign=camp, path=out, by="Karen")
    assert (again.changed, again.errors) == (0, [])


def test_sign_off_freezes_and_gates_calling(db: Database, tmp_path: Path) -> None:
    with db.session(write=True) as s:
        camp = _import_koege(s, tmp_path)
        assert camp.id is not None
        jc = jobcenters.find_jobcenter(session=s, text="Køge", create=False)
        companies = by_cvr(s, camp)
        companies[A].clearing_proposal = ClearingReason.KENDT_VIRKSOMHED
        rnd = Round(campaign_id=camp.id, number=1, state=RoundState.ACTIVE)
        s.add(rnd)
        s.flush()
        for c in companies.values():
            c.round_id = rnd.id
            s.add(c)
        s.flush()
        assert s.exec(select(Company).where(callable_clause(camp.id))).all() == []
        with pytest.raises(Conflict, match="foreslået fjernet"):
            signoff.sign_off(session=s, campaign=camp, jobcenter=jc, by="Karen")
        r = signoff.sign_off(session=s, campaign=camp, jobcenter=jc, by="Karen", force=True)
        assert (r.kept, r.removed, r.forced, r.list_version) == (4, 1, True, 1)
        callable_ = s.exec(select(Company.cvr).where(callable_clause(camp.id))).all()
        assert sorted(callable_) == [B, C, D, E]
        entry = s.exec(select(AuditLog).where(AuditLog.action == "list_sign_off_forced")).one()
        assert entry.actor == "Karen" and entry.new is not None and entry.new["forced"] is True
        with pytest.raises(Conflict, match="allerede godkendt"):
            clearing.set_decision(
                session=s, company=companies[B], decision=ClearingState.REMOVE, by="Karen"
            )
        # new companies for a signed-off jobcenter are refused (nothing lost: rejects file)
        extra = tmp_path / "ny.csv"
        extra.write_text(f"Navn;CVR;Telefon;Kommune\nNy;{F};33 12 34 80;Køge\n", encoding="utf-8")
        summary = importer.import_list(session=s, campaign=camp, path=extra)
        assert (summary.imported, summary.rejected) == (0, 1)
        assert "allerede godkendt" in summary.rejects[0].reason
        signoff.reopen(session=s, campaign=camp, jobcenter=jc, by="Karen")
        assert s.exec(select(Company).where(callable_clause(camp.id))).all() == []
        assert clearing.set_decision(
            session=s,
            company=companies[B],
            decision=ClearingState.REMOVE,
            by="Karen",
            reason="lukket",
        )


# ------------------------------------------------------------------ property test

_VALID_CVRS = [A, B, C, D, E]
_PHONES = ["33 12 34 56", "+45 40 11 22 33", "0045 20304050", "33.12.34.57 / 56 78 90 12"]
_cells = st.tuples(
    st.sampled_from(["", "Firma ApS", "Bæk & Søn", "Østergaard"]),
    st.sampled_from(["", "12345678", "1234", *_VALID_CVRS]),
    st.sampled_from(["", "12 34", "ikke oplyst", *_PHONES]),
    st.sampled_from(["", "Køge", "Roskilde", "Atlantis"]),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# a file without one non-empty row is refused by read_table (test_tabular covers it)
@given(rows=st.lists(_cells, min_size=1, max_size=25).filter(lambda rs: any(map(any, rs))))
def test_property_every_row_is_imported_merged_or_rejected(
    sqlite_db: Database, tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, ...]]
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    path = folder / "l.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Firmanavn", "CVR-nr.", "Telefon", "Kommune"])
        w.writerows(rows)
    with sqlite_db.session(write=True) as s:
        n = len(s.exec(select(Campaign)).all())
        camp = new_campaign(s, name=f"P{n}")
        summary = importer.import_list(session=s, campaign=camp, path=path)
        stored = s.exec(select(Company).where(Company.campaign_id == camp.id)).all()
    assert summary.read == sum(1 for r in rows if any(r))  # blank lines are no rows
    assert summary.imported + summary.merged_duplicates + summary.rejected == summary.read
    assert len(stored) == summary.imported
    assert (
        summary.rejected == len(read_table(folder / "l.afviste.csv").rows)
        if summary.rejected
        else True
    )
    # nothing valid was lost: every valid CVR in the file is on the list
    valid_in_file = {r[1] for r in rows if r[0] and r[1] in _VALID_CVRS and r[2] in _PHONES}
    assert valid_in_file <= {c.cvr for c in stored}


def test_jobcenter_status_counts_match_the_companies(db: Database, tmp_path: Path) -> None:
    """The GROUP BY gives the figures a count over the loaded companies gives."""
    path = tmp_path / "l.csv"
    lines = ["Navn;CVR;Telefon;Kommune;Antal ansatte"]
    for i, (cvr, town) in enumerate(
        [
            (A, "Køge"),
            (B, "Køge"),
            (C, "Køge"),
            (D, "Roskilde"),
            (E, "Roskilde"),
            (F, "Køge"),
            (H, "Køge"),
        ]
    ):
        lines.append(f"Firma {i};{cvr};33 12 34 5{i};{town};{10 + i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with db.session(write=True) as s:
        camp = new_campaign(s)
        importer.import_list(session=s, campaign=camp, path=path)
        other = new_campaign(s, name="Anden")
        importer.import_list(session=s, campaign=other, path=path)  # not counted in camp
        jobcenters.find_jobcenter(session=s, text="Greve")  # a jobcenter with no companies
        assert camp.id is not None
        koege = jobcenters.find_jobcenter(session=s, text="Køge", create=False)
        assert koege.id is not None
        jobcenters.campaign_jobcenter(session=s, campaign_id=camp.id, jobcenter_id=koege.id)
        greve = jobcenters.find_jobcenter(session=s, text="Greve", create=False)
        assert greve.id is not None
        jobcenters.campaign_jobcenter(session=s, campaign_id=camp.id, jobcenter_id=greve.id)
        companies = by_cvr(s, camp)
        companies[A].clearing_state = ClearingState.KEEP
        companies[B].clearing_state = ClearingState.REMOVE
        companies[C].clearing_proposal = ClearingReason.KENDT_VIRKSOMHED
        companies[D].out_of_target = "for lille"
        companies[F].clearing_proposal = ClearingReason.REKLAMEBESKYTTET
        companies[F].clearing_state = ClearingState.KEEP
        companies[H].clearing_state = ClearingState.KEEP  # kept, but on the register:
        for c in companies.values():
            s.add(c)
        s.flush()
        blocks.add_block(session=s, actor="K", cvr=H)  # counted as blocked, not kept
        signoff.sign_off(
            session=s,
            campaign=camp,
            jobcenter=jobcenters.find_jobcenter(session=s, text="Roskilde", create=False),
            by="Karen",
        )
        status = signoff.jobcenter_status(session=s, campaign=camp)
        figures = {
            st_.jobcenter: (
                st_.companies,
                st_.kept,
                st_.removed,
                st_.pending,
                st_.proposed,
                st_.out_of_target,
                st_.blocked,
                st_.signed_off_by,
            )
            for st_ in status
        }
        assert [st_.jobcenter for st_ in status] == sorted(figures)
        all_ = s.exec(select(Company).where(Company.campaign_id == camp.id)).all()
        for name, got in figures.items():
            jc = jobcenters.find_jobcenter(session=s, text=name, create=False)
            # every company in exactly one state, as sign-off and list show count it
            states = [signoff.state_of(c) for c in all_ if c.jobcenter_id == jc.id]
            assert got[:7] == (
                len(states),
                states.count("behold"),
                states.count("fjern"),
                states.count("afventer") + states.count("foreslaaet_fjernet"),
                states.count("foreslaaet_fjernet"),
                states.count("uden_for_maalgruppe"),
                states.count("spaerret"),
            )
            assert got[0] == got[1] + got[2] + got[3] + got[5] + got[6]
        assert figures == {
            "Jobcenter Greve": (0, 0, 0, 0, 0, 0, 0, None),
            "Jobcenter Køge": (5, 2, 1, 1, 1, 0, 1, None),
            "Jobcenter Roskilde": (2, 1, 0, 0, 0, 1, 0, "Karen"),  # the other is out of target
        }

"""The do-not-call register: the phoner's final outcome, the coordinator's add/list/remove,
the import of an existing register, list imports and the queue (also on PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import col, select

from phoner.core import blocks, gdpr, jobcenters
from phoner.core.db import Database
from phoner.core.errors import ActorMissing, Conflict, InvalidInput, NotFound
from phoner.core.lists import clearing, importer, signoff
from phoner.core.models import (
    AAPOR_CLASS,
    AaporClass,
    AuditLog,
    CallState,
    Campaign,
    ClearingReason,
    ClearingState,
    Company,
    DoNotCall,
    Jobcenter,
    Outcome,
)
from phoner.core.queue.claims import claim_company, claim_next
from phoner.core.queue.outcomes import record_outcome
from phoner.core.queue.undo import undo_outcome
from phoner.core.reports.rates import rates_report
from phoner.formats.tabular import read_table
from tests.support import builders
from tests.support.lists import A, B, C, D
from tests.support.worlds import MONDAY_10, Setup, make_campaign

OUTCOME = Outcome.FRABEDER_SIG_HENVENDELSER


def _world(db: Database, name: str = "Test", n: int = 3) -> Setup:
    """``n`` callable companies with their own CVR and phone (make_campaign shares one)."""
    s = make_campaign(db, n, name=name)
    with db.session(write=True) as session:
        rows = session.exec(
            select(Company).where(Company.campaign_id == s.campaign_id).order_by(col(Company.id))
        ).all()
        for i, c in enumerate(rows):
            c.cvr = [A, B, C, D][i]
            c.phones = [f"+45331234{i:02d}" if name == "Test" else f"+45441234{i:02d}"]
            session.add(c)
    return s


def _ids(db: Database, campaign_id: int) -> list[int]:
    with db.session() as session:
        return list(
            session.exec(
                select(Company.id)
                .where(Company.campaign_id == campaign_id)
                .order_by(col(Company.id))
            ).all()
        )


def _claimable(db: Database, s: Setup) -> set[int]:
    """Every company the queue hands out now (claimed, then left leased)."""
    got: set[int] = set()
    for i in range(10):
        c = claim_next(db=db, campaign_id=s.campaign_id, phoner=f"p{i}", now=MONDAY_10)
        if c is None:
            break
        got.add(c.company_id)
    return got


def _say_no_more(db: Database, s: Setup, phoner: str = "tlf1") -> int:
    claim = claim_next(db=db, campaign_id=s.campaign_id, phoner=phoner, now=MONDAY_10)
    assert claim is not None
    rec = record_outcome(
        db=db,
        company_id=claim.company_id,
        lease_token=claim.lease_token,
        phoner=phoner,
        outcome=OUTCOME,
        answers={},
        needs={},
        note="Vil ikke ringes op igen",
        now=MONDAY_10,
    )
    return rec.id


def test_the_outcome_is_final_and_a_refusal() -> None:
    assert AAPOR_CLASS[OUTCOME] == AaporClass.R
    assert OUTCOME.label == "Frabeder sig henvendelser"
    assert Outcome.parse("Frabeder sig henvendelser") == OUTCOME
    assert not OUTCOME.substantive


def test_outcome_blocks_the_company_in_every_campaign(db: Database) -> None:
    first = _world(db, "Test")
    later = _world(db, "Senere")  # same CVRs, other phones: another jobcenter's campaign
    _say_no_more(db, first)
    ids, later_ids = _ids(db, first.campaign_id), _ids(db, later.campaign_id)
    with db.session() as session:
        called = session.get(Company, ids[0])
        assert called is not None
        assert (called.call_state, called.final_outcome) == (CallState.DONE, OUTCOME)
        entry = session.exec(select(DoNotCall)).one()
        assert (entry.cvr, entry.source, entry.campaign_name, entry.created_by) == (
            A,
            "opkald",
            "Test",
            "tlf1",
        )
        assert entry.reason == "Frabeder sig henvendelser: Vil ikke ringes op igen"
        blocked = {c.id: c.blocked_id for c in session.exec(select(Company)).all() if c.blocked_id}
        assert blocked == {ids[0]: entry.id, later_ids[0]: entry.id}
        assert session.exec(select(AuditLog).where(AuditLog.action == "block_add")).one()
    assert later_ids[0] not in _claimable(db, later)
    with pytest.raises(Conflict, match="spærrelisten"):
        claim_company(db=db, company_id=later_ids[0], phoner="tlf2", now=MONDAY_10)


def test_rates_count_the_outcome_as_refusal(db: Database) -> None:
    s = _world(db)
    _say_no_more(db, s)
    with db.session() as session:
        camp = session.exec(select(Campaign)).first()
        assert camp is not None
        rep = rates_report(session=session, campaign=camp)
    total = rep.data["total"]["dispositions"]
    assert total["R"] == 1 and total["I"] == 0


def test_undo_takes_the_block_back(db: Database) -> None:
    s = _world(db)
    attempt = _say_no_more(db, s)
    undo_outcome(db=db, attempt_id=attempt, phoner="tlf1", now=MONDAY_10)
    with db.session() as session:
        assert session.exec(select(DoNotCall)).all() == []
        assert all(c.blocked_id is None for c in session.exec(select(Company)).all())


def test_block_mid_campaign_leaves_the_queue(db: Database) -> None:
    s = _world(db)
    ids = _ids(db, s.campaign_id)
    with db.session(write=True) as session:
        block, n = blocks.add_block(
            session=session, actor="Koordinator", phone="33 12 34 01", company_name="Firma 1"
        )
        assert (block.phones, n, block.source) == (("+4533123401",), 1, "manuel")
        again, n2 = blocks.add_block(session=session, actor="Koordinator", phone="+4533123401")
        assert (again.id, n2) == (block.id, 0)  # the same entry: nothing new
    assert _claimable(db, s) == {ids[0], ids[2]}


def test_remove_needs_reason_and_who_and_is_audited(db: Database) -> None:
    s = _world(db)
    ids = _ids(db, s.campaign_id)
    with db.session(write=True) as session:
        blocks.add_block(session=session, actor="K", cvr=B, reason="Ringede selv")
        blocks.add_block(session=session, actor="K", phone="33 12 34 01")  # same company
        with pytest.raises(InvalidInput, match="hvorfor"):
            blocks.lift_blocks(session=session, actor="K", reason=" ", cvr=B)
        with pytest.raises(ActorMissing):
            blocks.lift_blocks(session=session, actor="", reason="x", cvr=B)
        with pytest.raises(NotFound, match="ingen aktiv spærring"):
            blocks.lift_blocks(session=session, actor="K", reason="x", cvr=C)
        lifted, freed = blocks.lift_blocks(
            session=session, actor="Koordinator", reason="Ønsker kontakt igen", cvr=B
        )
        assert freed == 0  # the phone entry still blocks it
        assert [b.lift_reason for b in lifted] == ["Ønsker kontakt igen"]
        _, freed = blocks.lift_blocks(session=session, actor="K", reason="ok", phone="33123401")
        assert freed == 1
        assert [b.active for b in blocks.list_blocks(session=session, include_lifted=True)] == [
            False,
            False,
        ]
        assert blocks.list_blocks(session=session) == []
        entry = session.exec(select(AuditLog).where(AuditLog.action == "block_remove")).first()
        assert entry is not None
        assert (entry.actor, entry.reason) == ("Koordinator", "Ønsker kontakt igen")
    assert ids[1] in _claimable(db, s)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({}, "Angiv virksomhedens CVR-nummer, P-nummer eller telefonnummer."),
        ({"cvr": "12345678"}, "CVR"),
        ({"p_number": "123"}, "Ugyldigt P-nummer '123' (10 cifre)."),
        ({"phone": "12"}, "'12' er ikke et gyldigt telefonnummer."),
    ],
)
def test_add_refuses_bad_keys(db: Database, kw: dict[str, str], message: str) -> None:
    with db.session(write=True) as session, pytest.raises(InvalidInput, match=re.escape(message)):
        blocks.add_block(session=session, actor="K", **kw)


def test_list_import_keeps_blocked_companies_and_reports_them(db: Database, tmp_path: Path) -> None:
    with db.session(write=True) as session:
        blocks.add_block(session=session, actor="K", cvr=A, reason="Bad om det i 2024")
        blocks.add_block(session=session, actor="K", phone="33 12 34 58")
        camp = builders.campaign(session)
        path = tmp_path / "liste.csv"
        path.write_text(
            "Navn;CVR;Telefon\n"
            f"Ærø Bageri;{A};33 12 34 56\n"
            f"Fri;{B};33 12 34 57\n"
            f"Samme nummer;{C};33 12 34 58\n",
            encoding="utf-8",
        )
        summary = importer.import_list(session=session, campaign=camp, path=path, jobcenter="Køge")
        assert (summary.imported, summary.rejected) == (3, 0)
        assert [(b.name, b.reason) for b in summary.blocked] == [
            ("Ærø Bageri", "Bad om det i 2024"),
            ("Samme nummer", "Frabeder sig henvendelser"),
        ]
        assert summary.to_json()["blocked"] == 2
        assert len(session.exec(select(Company)).all()) == 3  # never deleted


def _register_csv(path: Path) -> Path:
    path.write_text(
        "CVR-nr.;P-nr.;Telefon;Firmanavn;Begrundelse\n"
        f"{A};;;Ærø Bageri;Ringede selv\n"
        ";1000000001;;Filial;\n"
        ";;33 12 34 57;;Mail fra direktøren\n"
        "12345678;;;Forkert CVR;\n"
        ";12;abc;Dobbelt fejl;\n"
        ";;;Ingen nøgle;\n"
        f"{A};;;Ærø Bageri igen;\n",
        encoding="utf-8",
    )
    return path


def test_register_import_rejects_bad_rows_with_line_and_column(
    db: Database, tmp_path: Path
) -> None:
    s = _world(db)
    ids = _ids(db, s.campaign_id)
    path = _register_csv(tmp_path / "spærreliste.csv")
    with db.session(write=True) as session:
        result = blocks.import_register(session=session, path=path, actor="Koordinator")
    assert result.to_json() == {
        "read": 7,
        "rejected": 3,
        "rejects_file": str(tmp_path / "spærreliste.afviste.csv"),
        "added": 3,
        "unchanged": 1,
        "blocked": 1,  # company 0 by its CVR; the P-number and phone match none here
    }
    reasons = [(r.line, r.reason) for r in result.rejects]
    assert [line for line, _ in reasons] == [5, 6, 7]
    assert reasons[0][1].startswith("kolonnen 'CVR-nr.': Ugyldigt CVR-nummer '12345678' (")
    assert reasons[1][1] == (
        "kolonnen 'P-nr.': Ugyldigt P-nummer '12' (10 cifre); "
        "kolonnen 'Telefon': 'abc' er ikke et gyldigt telefonnummer. Ret det, eller slet rækken."
    )
    assert reasons[2][1] == (
        "Hverken CVR-nummer, P-nummer eller telefonnummer (kolonnerne 'CVR-nr.', 'P-nr.' og "
        "'Telefon' er tomme). Skriv mindst ét af dem, eller slet rækken."
    )
    rejects = read_table(tmp_path / "spærreliste.afviste.csv")
    assert [r.cells[0] for r in rejects.rows] == ["5", "6", "7"]
    with db.session(write=True) as session:
        again = blocks.import_register(session=session, path=path, actor="Koordinator")
        assert (again.added, again.unchanged) == (0, 4)
        assert {c.id for c in session.exec(select(Company)).all() if c.blocked_id} == {ids[0]}


def test_register_file_without_a_key_column_is_refused(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Firmanavn", "Årsag"])
    ws.append(["Ærø Bageri", "Ringede selv"])
    wb.save(path)
    with (
        db.session(write=True) as session,
        pytest.raises(InvalidInput, match="ingen kolonne for CVR, P-nummer eller Telefon"),
    ):
        blocks.import_register(session=session, path=path, actor="K")


def test_queue_never_hands_out_a_blocked_company_on_postgres(pg_db: Database) -> None:
    """The phone match reads the JSON column as text: on PostgreSQL too."""
    s = _world(pg_db)
    ids = _ids(pg_db, s.campaign_id)
    with pg_db.session(write=True) as session:
        blocks.add_block(session=session, actor="K", cvr=A)
    with pg_db.session(write=True) as session:
        blocks.lift_blocks(session=session, actor="K", reason="fejl", cvr=A)
        blocks.add_block(session=session, actor="K", phone="+4533123402")
    with pg_db.session() as session:
        blocked = [c.id for c in session.exec(select(Company)).all() if c.blocked_id]
    assert blocked == [ids[2]]
    assert _claimable(pg_db, s) == {ids[0], ids[1]}


# --------------------------------------------------------------------------- the list's state


def _koege_list(db: Database) -> tuple[int, int]:
    """Three companies of Jobcenter Køge (kept, pending, proposed) and two entries that
    block the kept and the proposed one; (campaign id, jobcenter id)."""
    with db.session(write=True) as session:
        camp = builders.campaign(session)
        jc = builders.jobcenter(session, "Køge")
        assert camp.id is not None and jc.id is not None
        jobcenters.campaign_jobcenter(session=session, campaign_id=camp.id, jobcenter_id=jc.id)
        builders.company(
            session, camp, jc, None, "Ærø Bageri", cvr=A, clearing_state=ClearingState.KEEP
        )
        builders.company(session, camp, jc, None, "Fri", cvr=B, phones=["+4533123457"])
        builders.company(
            session,
            camp,
            jc,
            None,
            "Samme nummer",
            cvr=C,
            phones=["+4533123458"],
            clearing_proposal=ClearingReason.REKLAMEBESKYTTET,
        )
        blocks.add_block(session=session, actor="K", cvr=A, reason="Ringede selv")
        blocks.add_block(session=session, actor="K", phone="33 12 34 58")
        return camp.id, jc.id


def test_list_show_status_and_sign_off_count_a_blocked_company_for_itself(db: Database) -> None:
    campaign_id, jobcenter_id = _koege_list(db)
    with db.session(write=True) as session:
        camp = session.get(Campaign, campaign_id)
        jc = session.get(Jobcenter, jobcenter_id)
        assert camp is not None and jc is not None
        shown = signoff.list_companies(session=session, campaign=camp)
        assert [(r["name"], r["state"], r["blocked_reason"]) for r in shown] == [
            ("Fri", "afventer", None),
            ("Samme nummer", "spaerret", "Frabeder sig henvendelser"),
            ("Ærø Bageri", "spaerret", "Ringede selv"),  # kept by clearing, still blocked
        ]
        only = signoff.list_companies(session=session, campaign=camp, states=["spaerret"])
        assert [r["name"] for r in only] == ["Samme nummer", "Ærø Bageri"]
        (st,) = signoff.jobcenter_status(session=session, campaign=camp)
        assert (st.companies, st.kept, st.removed, st.pending, st.proposed) == (3, 0, 0, 1, 0)
        assert (st.out_of_target, st.blocked) == (0, 2)
        assert st.companies == st.kept + st.removed + st.pending + st.out_of_target + st.blocked
        # the blocked company's proposal does not hold up the sign-off: it is never called
        result = signoff.sign_off(session=session, campaign=camp, jobcenter=jc, by="Karen")
        assert (result.kept, result.removed, result.blocked, result.forced) == (1, 0, 2, False)
        (after,) = signoff.jobcenter_status(session=session, campaign=camp)
        assert (after.kept, after.removed, after.blocked) == (result.kept, 0, result.blocked)


def test_clearing_sheet_marks_blocked_companies_and_import_keeps_the_block(
    db: Database, tmp_path: Path
) -> None:
    campaign_id, jobcenter_id = _koege_list(db)
    out = tmp_path / "clearing.xlsx"
    with db.session() as session:
        camp = session.get(Campaign, campaign_id)
        jc = session.get(Jobcenter, jobcenter_id)
        assert camp is not None and jc is not None
        assert clearing.clearing_export(session=session, campaign=camp, jobcenter=jc, out=out) == 3
    table = read_table(out)
    h = table.headers
    got = {
        r.cells[h.index("Firmanavn")]: (
            r.cells[h.index("Forslag")],
            r.cells[h.index("Forslagets begrundelse")],
            r.cells[h.index("Beslutning")],
        )
        for r in table.rows
    }
    assert got == {
        "Ærø Bageri": ("Spærret (frabeder sig henvendelser)", "Ringede selv", "Behold"),
        "Fri": ("", "", ""),
        "Samme nummer": ("Spærret (frabeder sig henvendelser)", "Frabeder sig henvendelser", ""),
    }
    # the jobcenter keeps everything: the decisions are recorded, the blocks stay
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws is not None
    col_dec = [c.value for c in ws[1]].index("Beslutning") + 1
    for row in range(2, 5):
        ws.cell(row, col_dec).value = "Behold"
    wb.save(out)
    with db.session(write=True) as session:
        camp = session.get(Campaign, campaign_id)
        assert camp is not None
        result = clearing.clearing_import(session=session, campaign=camp, path=out, by="Karen")
    assert (result.changed, result.unchanged, result.errors) == (2, 1, [])
    assert result.still_blocked == ["Samme nummer", "Ærø Bageri"]
    with db.session() as session:
        rows = session.exec(select(Company).order_by(col(Company.name))).all()
        assert [(c.name, c.clearing_state, signoff.state_of(c)) for c in rows] == [
            ("Fri", ClearingState.KEEP, "behold"),
            ("Samme nummer", ClearingState.KEEP, "spaerret"),
            ("Ærø Bageri", ClearingState.KEEP, "spaerret"),
        ]
        assert len(blocks.list_blocks(session=session)) == 2  # nothing lifted


def test_gdpr_export_shows_the_register_entries_of_the_company(db: Database) -> None:
    _koege_list(db)
    with db.session(write=True) as session:
        blocks.add_block(session=session, actor="K", cvr=B, reason="Mail fra direktøren")
        blocks.lift_blocks(session=session, actor="Karen", reason="Vil kontaktes", cvr=B)
        blocks.add_block(session=session, actor="K", cvr=D)  # another company
    with db.session() as session:
        fri = gdpr.export(session=session, cvr=B)
        phone_only = gdpr.export(session=session, cvr=C)  # blocked by its phone number
    assert [(e["cvr"], e["begrundelse"], e["ophævet_af"]) for e in fri.do_not_call] == [
        (B, "Mail fra direktøren", "Karen")  # lifted entries are held, so shown
    ]
    assert [(e["telefoner"], e["cvr"], e["oprettet_af"]) for e in phone_only.do_not_call] == [
        (["+4533123458"], None, "K")
    ]
    assert [c["kampagne"] for c in phone_only.companies] == ["Test"]
    # the register is data held about the company even when no campaign has it (any more)
    with db.session() as session:
        only_register = gdpr.export(session=session, cvr=D)
    assert (only_register.companies, [e["cvr"] for e in only_register.do_not_call]) == ([], [D])

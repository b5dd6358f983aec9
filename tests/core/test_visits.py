"""Visit results: status, agreements, contact history, audit, and the file import."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import select

from phoner.core import followups, visits, vocabulary
from phoner.core.db import Database
from phoner.core.errors import InvalidInput, NotFound
from phoner.core.models import (
    Agreement,
    AgreementCategory,
    AuditLog,
    CompanyCancelReason,
    ContactHistory,
    ContactKind,
    FollowUp,
    FollowUpKind,
    MeetingStatus,
    Outcome,
    VisitResult,
)
from tests.support import builders as b

UTC = dt.UTC
T0 = dt.datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def _one_booking(db: Database) -> tuple[int, int, int]:
    with db.session(write=True) as s:
        c = b.campaign(s)
        jc = b.jobcenter(s, "Ringsted")
        k = b.consultant(s, jc, "Karen Mikkelsen")
        co = b.company(s, c, jc, b.round_(s, c, 1), "Bager A/S", cvr="12345674")
        att = b.call(s, co, Outcome.VIL_KONTAKTES, T0)
        bk = b.book(s, co, k, T0 + dt.timedelta(days=8), attempt=att)
        assert bk.id is not None and c.id is not None and k.id is not None
        return bk.id, c.id, k.id


def test_record_held_visit_with_agreements(db: Database) -> None:
    booking_id, campaign_id, k_id = _one_booking(db)
    with db.session(write=True) as s:
        r = visits.record_visit_result(
            session=s,
            booking_id=booking_id,
            status=MeetingStatus.AFHOLDT,
            actor="karen",
            agreements={AgreementCategory.FLEKSJOB: 2, AgreementCategory.LOENTILSKUD: 1},
            note="Vil gerne have to i fleksjob",
        )
        assert r.id is not None
        assert visits.agreements_of(session=s, visit_result_id=r.id) == {
            AgreementCategory.FLEKSJOB: 2,
            AgreementCategory.LOENTILSKUD: 1,
        }
    with db.session() as s:
        hist = s.exec(select(ContactHistory)).all()
        assert len(hist) == 1
        assert hist[0].cvr == "12345674"
        assert hist[0].kind == ContactKind.VISIT
        assert hist[0].contact_date == dt.date(2026, 10, 13)
        assert hist[0].campaign_name == "Test"
        entries = s.exec(select(AuditLog).where(AuditLog.entity == "visitresult")).all()
        assert len(entries) == 1 and entries[0].new is not None
        assert entries[0].new["agreements"] == {"fleksjob": 2, "loentilskud": 1}
        rows = visits.list_visits(session=s, campaign_id=campaign_id, consultant_id=k_id)
        assert len(rows) == 1
        assert rows[0].result is not None and rows[0].result.status == MeetingStatus.AFHOLDT
        assert rows[0].agreements[AgreementCategory.FLEKSJOB] == 2
        assert rows[0].consultant_name == "Karen Mikkelsen"


def test_correcting_a_result_replaces_agreements_keeps_followups(db: Database) -> None:
    booking_id, _, k_id = _one_booking(db)
    with db.session(write=True) as s:
        r = visits.record_visit_result(
            session=s,
            booking_id=booking_id,
            status=MeetingStatus.AFHOLDT,
            actor="karen",
            agreements={AgreementCategory.FLEKSJOB: 2, AgreementCategory.JOBROTATION: 1},
        )
        ag = s.exec(
            select(Agreement).where(Agreement.category == AgreementCategory.JOBROTATION)
        ).one()
        from phoner.core.models import Booking, Company

        bk = s.get(Booking, booking_id)
        assert bk is not None
        co = s.get(Company, bk.company_id)
        assert co is not None
        fu = followups.create_agreement_followup(
            session=s,
            agreement=ag,
            company=co,
            consultant_id=k_id,
            due_date=dt.date(2026, 10, 20),
            description="Send jobrotationsaftale",
            actor="karen",
        )
        assert fu.kind == FollowUpKind.AGREEMENT and fu.agreement_id == ag.id
    with db.session(write=True) as s:
        r2 = visits.record_visit_result(
            session=s,
            booking_id=booking_id,
            status=MeetingStatus.AFKORTET_TELEFONISK,
            actor="coord",
            agreements={AgreementCategory.FLEKSJOB: 3},
        )
        assert r2.id == r.id
    with db.session() as s:
        assert r.id is not None
        assert visits.agreements_of(session=s, visit_result_id=r.id) == {
            AgreementCategory.FLEKSJOB: 3
        }
        kept = s.get(FollowUp, fu.id)
        assert kept is not None and kept.agreement_id is None
        assert len(s.exec(select(ContactHistory)).all()) == 1  # not twice
        upd = s.exec(select(AuditLog).where(AuditLog.action == "visit_result_update")).one()
        assert upd.old is not None and upd.old["agreements"] == {"fleksjob": 2, "jobrotation": 1}
        assert upd.old["status"] == "afholdt"


def test_cancel_and_validation(db: Database) -> None:
    booking_id, _, _ = _one_booking(db)
    with db.session(write=True) as s:
        with pytest.raises(InvalidInput, match="kun registreres for et afholdt"):
            visits.record_visit_result(
                session=s,
                booking_id=booking_id,
                status=MeetingStatus.KONSULENT_UDEBLEV,
                actor="x",
                agreements={AgreementCategory.FLEKSJOB: 1},
            )
        with pytest.raises(InvalidInput, match="aflysningsårsag"):
            visits.record_visit_result(
                session=s,
                booking_id=booking_id,
                status=MeetingStatus.AFHOLDT,
                actor="x",
                company_cancel_reason=CompanyCancelReason.GLEMT,
            )
        with pytest.raises(NotFound):
            visits.record_visit_result(
                session=s, booking_id=999, status=MeetingStatus.AFHOLDT, actor="x"
            )
        r = visits.record_visit_result(
            session=s,
            booking_id=booking_id,
            status=MeetingStatus.AFLYST_AF_VIRKSOMHEDEN,
            company_cancel_reason=CompanyCancelReason.TRAVLHED,
            actor="x",
        )
        assert r.company_cancel_reason == CompanyCancelReason.TRAVLHED
    with db.session() as s:
        assert s.exec(select(ContactHistory)).all() == []


def test_parse_status_words() -> None:
    assert vocabulary.parse(MeetingStatus, "Afholdt") == MeetingStatus.AFHOLDT
    assert (
        vocabulary.parse(MeetingStatus, "aflyst af virksomheden")
        == MeetingStatus.AFLYST_AF_VIRKSOMHEDEN
    )
    assert (
        vocabulary.parse(MeetingStatus, "Afkortet/telefonisk") == MeetingStatus.AFKORTET_TELEFONISK
    )
    assert vocabulary.parse(MeetingStatus, "konsulent_udeblev") == MeetingStatus.KONSULENT_UDEBLEV
    assert (
        vocabulary.parse(CompanyCancelReason, "Ændret holdning")
        == CompanyCancelReason.AENDRET_HOLDNING
    )
    with pytest.raises(ValueError):
        vocabulary.parse(MeetingStatus, "måske")


def _import_setup(db: Database) -> dict[str, int]:
    ids: dict[str, int] = {}
    with db.session(write=True) as s:
        c = b.campaign(s)
        jc = b.jobcenter(s, "Køge")
        k = b.consultant(s, jc, "Fatima Yilmaz")
        r = b.round_(s, c, 1)
        for i, (name, cvr) in enumerate([("A", "12345674"), ("B", "23456788"), ("C", "34567891")]):
            co = b.company(s, c, jc, r, name, cvr=cvr)
            bk = b.book(s, co, k, T0 + dt.timedelta(days=3, hours=2 * i))  # one at a time
            assert bk.id is not None
            ids[name] = bk.id
        assert c.id is not None
        ids["campaign"] = c.id
    return ids


def test_import_csv_with_rejects(db: Database, tmp_path: Path) -> None:
    ids = _import_setup(db)
    path = tmp_path / "resultater.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(
            ["CVR-nr.", "Booking-id", "Status", "Aflysningsårsag", "Fleksjob", "Løntilskud", "Note"]
        )
        w.writerow(["12345674", "", "Afholdt", "", "2", "1", "fint møde"])
        w.writerow(["", str(ids["B"]), "Aflyst af virksomheden", "Glemt", "", "", ""])
        w.writerow(["34567891", "", "måske", "", "", "", ""])  # bad status
        w.writerow(["99999999", "", "Afholdt", "", "", "", ""])  # bad CVR
        w.writerow(["34567891", "", "Afholdt", "", "to", "", ""])  # bad count
        w.writerow(["12345674", "", "Afholdt", "", "1", "", ""])  # duplicate in file
    with db.session(write=True) as s:
        from phoner.core.models import Campaign

        campaign = s.get(Campaign, ids["campaign"])
        assert campaign is not None
        res = visits.import_visit_results(session=s, campaign=campaign, path=path, actor="imp")
    assert res.registered == 2 and res.updated == 0
    assert [(r.line, r.reason.split(" ")[0]) for r in res.rejects] == [
        (4, "ukendt"),
        (5, "Ugyldigt"),  # the one CVR error text (phoner.core.companies)
        (6, "kolonnen"),
        (7, "besøget"),
    ]
    assert res.rejects_path is not None and res.rejects_path.exists()
    with res.rejects_path.open(encoding="utf-8-sig") as fh:
        back = list(csv.reader(fh, delimiter=";"))
    assert back[0][:3] == ["Linje", "Årsag", "CVR-nr."]
    assert [row[0] for row in back[1:]] == ["4", "5", "6", "7"]
    with db.session() as s:
        results = {r.booking_id: r for r in s.exec(select(VisitResult)).all()}
        assert results[ids["A"]].status == MeetingStatus.AFHOLDT
        assert results[ids["A"]].note == "fint møde"
        assert results[ids["B"]].company_cancel_reason == CompanyCancelReason.GLEMT
        rid = results[ids["A"]].id
        assert rid is not None
        assert visits.agreements_of(session=s, visit_result_id=rid) == {
            AgreementCategory.FLEKSJOB: 2,
            AgreementCategory.LOENTILSKUD: 1,
        }


def test_import_xlsx_and_missing_columns(db: Database, tmp_path: Path) -> None:
    ids = _import_setup(db)
    path = tmp_path / "res.xlsx"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["CVR", "Status", "Jobordre/rekruttering", "Virksomhedspladser til flygtninge"])
    ws.append([34567891, "afholdt", 3, 1])
    wb.save(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("Navn;Status\nA;Afholdt\n", encoding="utf-8")
    with db.session(write=True) as s:
        from phoner.core.models import Campaign

        campaign = s.get(Campaign, ids["campaign"])
        assert campaign is not None
        res = visits.import_visit_results(session=s, campaign=campaign, path=path, actor="imp")
        assert res.registered == 1 and not res.rejects
        with pytest.raises(InvalidInput, match="CVR eller Booking-id"):
            visits.import_visit_results(session=s, campaign=campaign, path=bad, actor="imp")
    with db.session() as s:
        r = s.exec(select(VisitResult).where(VisitResult.booking_id == ids["C"])).one()
        assert r.id is not None
        assert visits.agreements_of(session=s, visit_result_id=r.id) == {
            AgreementCategory.JOBORDRE: 3,
            AgreementCategory.FLYGTNINGE: 1,
        }

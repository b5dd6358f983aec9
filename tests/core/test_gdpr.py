"""GDPR: purge anonymises personal data but keeps every counted fact; export shows it all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from phoner.core import audit, gdpr
from phoner.core.db import Database
from phoner.core.errors import InvalidInput
from phoner.core.models import (
    AuditLog,
    Booking,
    CallAttempt,
    Company,
    FollowUp,
    MeetingStatus,
    Outcome,
    VisitResult,
)
from tests.support import builders as b

UTC = dt.UTC
OLD = dt.datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _campaign(db: Database) -> tuple[int, int, int]:
    with db.session(write=True) as s:
        c = b.campaign(s)
        jc = b.jobcenter(s, "Ringsted")
        k = b.consultant(s, jc, "Karen Mikkelsen")
        r = b.round_(s, c, 1)
        old = b.company(
            s,
            c,
            jc,
            r,
            "Gammel A/S",
            cvr="66815188",
            contact_person="Anne Hansen",
            email="anne@gammel.dk",
            phones=["+4533123456"],
            updated_at=OLD,
        )
        new = b.company(
            s,
            c,
            jc,
            r,
            "Ny ApS",
            cvr="94697883",
            contact_person="Bo Berg",
            phones=["+4540112233"],
            updated_at=NOW,
        )
        b.call(s, old, Outcome.VIL_KONTAKTES, at=OLD, note="Ring til Anne efter kl. 10")
        b.call(s, new, Outcome.IKKE_INTERESSERET, at=NOW, note="Bo siger nej tak")
        booking = Booking(
            uid="u1",
            campaign_id=c.id,
            company_id=old.id,
            consultant_id=k.id,
            start=OLD + dt.timedelta(days=7),
            end=OLD + dt.timedelta(days=7, hours=1),
            booked_by="p",
            contact_person="Anne Hansen",
            contact_email="anne@gammel.dk",
            contact_mobile="+4520304050",
            details={"note": "privat"},
        )
        s.add(booking)
        s.flush()
        s.add(
            VisitResult(
                booking_id=booking.id,
                status=MeetingStatus.AFHOLDT,
                note="Anne vil have en praktikant",
                registered_by="Karen",
            )
        )
        s.add(
            FollowUp(
                campaign_id=c.id,
                company_id=old.id,
                description="Send materiale",
                due_date=OLD.date(),
                note="Anne: send til privat mail",
            )
        )
        audit.record(
            s,
            actor="p",
            action="update",
            entity="company",
            entity_id=old.id,
            campaign_id=c.id,
            old={"contact_person": "Anne"},
            new={"contact_person": "Anne Hansen", "employees": 5},
        )
        assert c.id and old.id and new.id
        return c.id, old.id, new.id


def test_purge_anonymises_old_companies_only(db: Database) -> None:
    campaign_id, old_id, new_id = _campaign(db)
    with db.session(write=True) as s:
        c = s.get(b.Campaign, campaign_id)
        assert c is not None
        result = gdpr.purge(session=s, campaign=c, older_than_days=180, actor="dpo", now=NOW)
    assert result.companies == 1
    assert result.attempts == 1
    assert result.bookings == 1
    assert result.visit_results == 1
    # the explicit company entry + the automatic ones of the attempt, booking, visit result
    assert result.audit_entries == 4
    with db.session() as s:
        old = s.get(Company, old_id)
        new = s.get(Company, new_id)
        assert old is not None and new is not None
        assert (old.contact_person, old.email, old.phones) == (None, None, [])
        assert gdpr.ANONYMISED_FLAG in old.flags
        assert old.name == "Gammel A/S" and old.cvr == "66815188"  # the company is no person
        assert new.contact_person == "Bo Berg" and new.phones == ["+4540112233"]
        attempts = {a.company_id: a for a in s.exec(select(CallAttempt))}
        assert attempts[old_id].note is None
        assert attempts[old_id].outcome is Outcome.VIL_KONTAKTES  # counted facts stay
        assert attempts[new_id].note == "Bo siger nej tak"
        booking = s.exec(select(Booking)).one()
        assert (booking.contact_person, booking.contact_email, booking.contact_mobile) == (
            None,
            None,
            None,
        )
        assert booking.start == OLD + dt.timedelta(days=7)
        visit = s.exec(select(VisitResult)).one()
        assert visit.note is None and visit.status is MeetingStatus.AFHOLDT
        assert s.exec(select(FollowUp)).one().note is None
        entry = s.exec(select(AuditLog).where(AuditLog.entity == "company")).one()
        assert entry.old == {"contact_person": None}
        assert entry.new == {"contact_person": None, "employees": 5}
        purge_log = s.exec(select(AuditLog).where(AuditLog.action == "gdpr_purge")).one()
        assert purge_log.actor == "dpo"


def test_export_shows_everything_then_nothing_after_purge(db: Database) -> None:
    campaign_id, _old, _new = _campaign(db)
    with db.session() as s:
        record = gdpr.export(session=s, cvr="66815188")
    assert record.companies[0]["kontaktperson"] == "Anne Hansen"
    assert record.calls[0]["note"] == "Ring til Anne efter kl. 10"
    assert record.bookings[0]["mobil"] == "+4520304050"
    assert record.visit_notes[0]["note"] == "Anne vil have en praktikant"
    assert record.followups[0]["note"] == "Anne: send til privat mail"
    with db.session(write=True) as s:
        c = s.get(b.Campaign, campaign_id)
        assert c is not None
        gdpr.purge(session=s, campaign=c, older_than_days=0, actor="dpo", now=NOW)
    with db.session() as s:
        record = gdpr.export(session=s, cvr="66815188")
    text = repr(record)
    for secret in ("Anne", "anne@", "2030", "privat"):
        assert secret not in text


def test_export_unknown_cvr(db: Database) -> None:
    with pytest.raises(InvalidInput, match="ingen virksomhed med CVR 12345674"), db.session() as s:
        gdpr.export(session=s, cvr="12345674")


def test_reports_give_the_same_numbers_before_and_after_a_purge(db: Database) -> None:
    from phoner.core import reports
    from phoner.core.models import Campaign

    campaign_id, _old, _new = _campaign(db)

    def figures() -> dict[str, object]:
        with db.session() as s:
            c = s.get(Campaign, campaign_id)
            assert c is not None
            return {
                name: reports.build_report(name, session=s, campaign=c).data
                for name in ("rounds", "rates", "followups", "visits", "phoners")
            }

    before = figures()
    rounds_total = before["rounds"]["total"]  # type: ignore[index]
    assert rounds_total["answered"] == 2  # the figures are not empty
    with db.session(write=True) as s:
        c = s.get(Campaign, campaign_id)
        assert c is not None
        result = gdpr.purge(session=s, campaign=c, older_than_days=0, actor="dpo", now=NOW)
    assert result.companies == 2
    assert figures() == before


def test_purge_blanks_a_reasons_words_and_keeps_the_reason(db: Database) -> None:
    """'Andet' with the words a phoner typed (a name may be in them) is personal data: a
    purge blanks the words, the counted reason stays for the reasons report."""
    from phoner.core.models import NotInterestedReason

    with db.session(write=True) as s:
        c = b.campaign(s)
        jc = b.jobcenter(s, "Ringsted")
        old = b.company(s, c, jc, b.round_(s, c, 1), "Gammel A/S", cvr="66815188", updated_at=OLD)
        attempt = b.call(s, old, Outcome.IKKE_INTERESSERET, at=OLD)
        attempt.reason = NotInterestedReason.ANDET
        attempt.reason_text = "Direktør Hansen vil ikke"
        s.add(attempt)
        campaign_id = c.id
    with db.session(write=True) as s:
        camp = s.get(b.Campaign, campaign_id)
        assert camp is not None
        gdpr.purge(session=s, campaign=camp, older_than_days=180, actor="dpo", now=NOW)
    with db.session() as s:
        row = s.exec(select(CallAttempt)).one()
        assert (row.reason, row.reason_text) == (NotInterestedReason.ANDET, None)

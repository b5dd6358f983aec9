"""The audit log cannot be bypassed: every change of an outcome, booking, visit result,
agreement or clearing decision leaves an entry in the same transaction, through a
service or through a plain session, and never twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, event, update
from sqlmodel import col, select

from phoner.core import audit, visits
from phoner.core.booking import service as booking
from phoner.core.db import Database
from phoner.core.lists import clearing
from phoner.core.models import (
    Agreement,
    AgreementCategory,
    AuditLog,
    Booking,
    BookingStatus,
    CallAttempt,
    CancelReason,
    ClearingReason,
    ClearingState,
    Company,
    Consultant,
    MeetingStatus,
    Outcome,
    VisitResult,
    utcnow,
)
from phoner.core.queue import claims, outcomes, undo
from tests.support import builders as b
from tests.support.booking import NOW, at, make_world

T0 = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)


def _entries(db: Database, **where: Any) -> list[AuditLog]:
    with db.session() as s:
        q = select(AuditLog).order_by(col(AuditLog.id))
        for key, value in where.items():
            q = q.where(getattr(AuditLog, key) == value)
        return list(s.exec(q).all())


def _world(db: Database) -> tuple[int, int, int, int]:
    """campaign, company, consultant ids and an attempt id (made through a plain session)."""
    with db.session(write=True) as s:
        c = b.campaign(s)
        jc = b.jobcenter(s, "Ringsted")
        k = b.consultant(s, jc, "Karen Mikkelsen")
        co = b.company(s, c, jc, b.round_(s, c, 1), "Bager A/S", cvr="12345674")
        audit.set_actor(s, "opsætning")
        att = b.call(s, co, Outcome.VIL_KONTAKTES, T0, note="Spørg efter Hanne")
        assert c.id and co.id and k.id and att.id
        return c.id, co.id, k.id, att.id


def test_plain_session_insert_update_delete_of_an_attempt(db: Database) -> None:
    campaign_id, company_id, _k, attempt_id = _world(db)
    [ins] = _entries(db, entity="callattempt")
    assert (ins.action, ins.entity_id, ins.actor) == ("insert", attempt_id, "opsætning")
    assert ins.campaign_id == campaign_id and ins.old is None and ins.new is not None
    assert ins.new["outcome"] == "vil_kontaktes" and ins.new["company_id"] == company_id
    # the note is personal data: the entry says there is one, never what it says
    assert ins.new["note"] == audit.PERSONAL_MARK
    assert "Hanne" not in str(ins.new)

    with db.session(write=True) as s:  # nobody named: "ukendt"
        attempt = s.get(CallAttempt, attempt_id)
        assert attempt is not None
        attempt.outcome = Outcome.IKKE_INTERESSERET
        s.add(attempt)
    upd = _entries(db, entity="callattempt")[-1]
    assert (upd.action, upd.actor) == ("update", audit.UNKNOWN_ACTOR)
    assert upd.old == {"outcome": "vil_kontaktes"}
    assert upd.new == {"outcome": "ikke_interesseret"}

    with db.session(write=True) as s:
        audit.set_actor(s, "koordinator")
        attempt = s.get(CallAttempt, attempt_id)
        s.delete(attempt)
    dele = _entries(db, entity="callattempt")[-1]
    assert (dele.action, dele.actor, dele.entity_id) == ("delete", "koordinator", attempt_id)
    assert dele.old is not None and dele.old["outcome"] == "ikke_interesseret"
    assert dele.new is None


def test_entry_and_change_are_rolled_back_together(db: Database) -> None:
    _c, _co, _k, attempt_id = _world(db)
    before = len(_entries(db))
    with pytest.raises(RuntimeError), db.session(write=True) as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert attempt is not None
        attempt.outcome = Outcome.LUKKET
        s.add(attempt)
        s.flush()
        raise RuntimeError("afbrudt")
    assert len(_entries(db)) == before
    with db.session() as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert attempt is not None and attempt.outcome == Outcome.VIL_KONTAKTES


def test_a_failing_audit_write_undoes_the_change(db: Database) -> None:
    """The entry is written in the change's transaction: if it cannot be written, the
    change is not committed either."""
    _c, _co, _k, attempt_id = _world(db)

    def refuse(*_args: Any) -> None:
        raise RuntimeError("revisionsloggen kan ikke skrives")

    event.listen(AuditLog, "before_insert", refuse)
    try:
        with pytest.raises(RuntimeError), db.session(write=True) as s:
            attempt = s.get(CallAttempt, attempt_id)
            assert attempt is not None
            attempt.outcome = Outcome.LUKKET
            s.add(attempt)
    finally:
        event.remove(AuditLog, "before_insert", refuse)
    with db.session() as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert attempt is not None and attempt.outcome == Outcome.VIL_KONTAKTES


def test_rolled_back_savepoint_drops_its_entries(db: Database) -> None:
    _c, _co, _k, attempt_id = _world(db)
    with db.session(write=True) as s:
        audit.set_actor(s, "x")
        try:
            with s.begin_nested():
                attempt = s.get(CallAttempt, attempt_id)
                assert attempt is not None
                attempt.outcome = Outcome.LUKKET
                s.add(attempt)
                s.flush()
                raise ValueError("fortryd")
        except ValueError:
            pass
        s.expire_all()
        attempt = s.get(CallAttempt, attempt_id)
        assert attempt is not None
        attempt.note = "ny note"
        s.add(attempt)
    updates = _entries(db, entity="callattempt", action="update")
    assert len(updates) == 1
    assert updates[0].new == {"note": audit.PERSONAL_MARK}


def test_clearing_fields_of_a_company_are_audited_other_fields_not(db: Database) -> None:
    _c, company_id, _k, _a = _world(db)
    with db.session(write=True) as s:
        audit.set_actor(s, "jobcenter ringsted")
        co = s.get(Company, company_id)
        assert co is not None
        co.name = "Bageriet A/S"  # not a clearing field
        s.add(co)
    assert _entries(db, entity="company") == []
    with db.session(write=True) as s:
        audit.set_actor(s, "jobcenter ringsted")
        co = s.get(Company, company_id)
        assert co is not None
        co.clearing_state = ClearingState.REMOVE
        co.clearing_proposal = ClearingReason.KENDT_VIRKSOMHED
        s.add(co)
    [entry] = _entries(db, entity="company")
    assert (entry.action, entry.actor, entry.entity_id) == (
        "update",
        "jobcenter ringsted",
        company_id,
    )
    assert entry.old == {"clearing_proposal": None, "clearing_state": "pending"}
    assert entry.new == {"clearing_proposal": "kendt_virksomhed", "clearing_state": "remove"}


def test_booking_and_visit_result_changed_behind_the_services_back(db: Database) -> None:
    campaign_id, company_id, k_id, _attempt = _world(db)
    with db.session(write=True) as s:
        co = s.get(Company, company_id)
        k_obj = s.get(Consultant, k_id)
        assert co is not None and k_obj is not None
        bk = b.book(s, co, k_obj, T0 + dt.timedelta(days=8))
        booking_id = bk.id
    with db.session(write=True) as s:
        audit.set_actor(s, "snyder")
        bk2 = s.get(Booking, booking_id)
        assert bk2 is not None
        bk2.status = BookingStatus.CANCELLED
        s.add(bk2)
    entries = _entries(db, entity="booking")
    assert [e.action for e in entries] == ["insert", "update"]
    assert entries[1].actor == "snyder" and entries[1].campaign_id == campaign_id
    assert entries[1].old == {"status": "booked"} and entries[1].new == {"status": "cancelled"}
    # visit results and agreements: campaign found through the booking
    with db.session(write=True) as s:
        audit.set_actor(s, "karen")
        r = VisitResult(booking_id=booking_id, status=MeetingStatus.AFHOLDT, registered_by="k")
        s.add(r)
        s.flush()
        assert r.id is not None
        s.add(Agreement(visit_result_id=r.id, category=AgreementCategory.FLEKSJOB, count=2))
    kinds = {(e.entity, e.action) for e in _entries(db, actor="karen")}
    assert kinds == {("visitresult", "insert"), ("agreement", "insert")}
    assert {e.campaign_id for e in _entries(db, actor="karen")} == {campaign_id}


# --------------------------------------------------------------------------- services


@pytest.fixture
def queue(db: Database) -> Iterator[tuple[Database, int]]:
    from tests.support.worlds import make_campaign

    setup = make_campaign(db, 2)
    yield db, setup.campaign_id


def test_record_and_undo_outcome_are_audited_once(queue: tuple[Database, int]) -> None:
    db, campaign_id = queue
    claim = claims.claim_next(db=db, campaign_id=campaign_id, phoner="anne", ignore_hours=True)
    assert claim is not None
    attempt = outcomes.record_outcome(
        db=db,
        company_id=claim.company_id,
        lease_token=claim.lease_token,
        phoner="anne",
        outcome=Outcome.HAR_KONTAKT,
        answers={},
        needs={},
        note=None,
    )
    entries = _entries(db, entity="callattempt", entity_id=attempt.id)
    assert [(e.action, e.actor) for e in entries] == [("record_outcome", "anne")]
    undo.undo_outcome(db=db, attempt_id=attempt.id or 0, phoner="anne")
    entries = _entries(db, entity="callattempt", entity_id=attempt.id)
    assert [e.action for e in entries] == ["record_outcome", "undo_outcome"]


def test_booking_services_are_audited_once(db: Database) -> None:
    w = make_world(db)
    bk = booking.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=w.consultant_ids[0],
        start=at("2027-03-24", "09:00"),
        booked_by="anne",
        attempt_id=w.attempt_id,
        now=NOW,
    )
    booking.move_booking(
        db=db, booking_id=bk.id or 0, start=at("2027-03-24", "11:00"), actor="bo", now=NOW
    )
    booking.cancel_booking(
        db=db,
        booking_id=bk.id or 0,
        reason=CancelReason.COMPANY_CANCELLED,
        actor="cecilie",
        now=NOW,
    )
    entries = _entries(db, entity="booking", entity_id=bk.id)
    assert [(e.action, e.actor) for e in entries] == [
        ("book", "anne"),
        ("move", "bo"),
        ("cancel", "cecilie"),
    ]


def test_visit_result_service_is_audited_once(db: Database) -> None:
    _c, company_id, k_id, _a = _world(db)
    with db.session(write=True) as s:
        co = s.get(Company, company_id)
        k_obj = s.get(Consultant, k_id)
        assert co is not None and k_obj is not None
        booking_id = b.book(s, co, k_obj, T0 + dt.timedelta(days=8)).id
    assert booking_id is not None
    for agreements in ({AgreementCategory.FLEKSJOB: 1}, {AgreementCategory.LOENTILSKUD: 2}):
        with db.session(write=True) as s:
            visits.record_visit_result(
                session=s,
                booking_id=booking_id,
                status=MeetingStatus.AFHOLDT,
                actor="karen",
                agreements=agreements,
            )
    actions = [(e.entity, e.action) for e in _entries(db, actor="karen")]
    assert actions == [("visitresult", "visit_result"), ("visitresult", "visit_result_update")]


def test_clearing_decision_service_is_audited_once(db: Database) -> None:
    _c, company_id, _k, _a = _world(db)
    with db.session(write=True) as s:
        co = s.get(Company, company_id)
        assert co is not None
        assert clearing.set_decision(
            session=s, company=co, decision=ClearingState.REMOVE, by="lis", reason="kendt"
        )
    [entry] = _entries(db, entity="company")
    assert (entry.action, entry.actor) == ("clearing_decision", "lis")


# --------------------------------------------------------------------------- bulk statements


def test_bulk_statements_through_a_session_are_audited(db: Database) -> None:
    _campaign_id, company_id, k_id, _a = _world(db)
    with db.session(write=True) as s:
        co = s.get(Company, company_id)
        k_obj = s.get(Consultant, k_id)
        assert co is not None and k_obj is not None
        booking_id = b.book(s, co, k_obj, T0 + dt.timedelta(days=8)).id
    with db.session(write=True) as s:
        audit.set_actor(s, "script")
        s.execute(update(Booking).where(col(Booking.id) == booking_id).values(status="cancelled"))
    [entry] = _entries(db, entity="booking", action="bulk_update")
    assert entry.actor == "script" and entry.new == {"status": "cancelled"}
    assert entry.reason is not None and "1 række" in entry.reason
    with db.session(write=True) as s:
        s.execute(delete(CallAttempt).where(col(CallAttempt.company_id) == company_id))
    assert [e.action for e in _entries(db, entity="callattempt")][-1] == "bulk_delete"


def test_reminder_bookkeeping_is_not_a_booking_change(db: Database) -> None:
    _c, company_id, k_id, _a = _world(db)
    with db.session(write=True) as s:
        co = s.get(Company, company_id)
        k_obj = s.get(Consultant, k_id)
        assert co is not None and k_obj is not None
        booking_id = b.book(s, co, k_obj, T0 + dt.timedelta(days=8)).id
    before = len(_entries(db, entity="booking"))
    with db.session(write=True) as s:
        bk = s.get(Booking, booking_id)
        assert bk is not None
        bk.reminder_sent_at = utcnow()
        s.add(bk)
    with db.session(write=True) as s:
        s.execute(
            update(Booking)
            .where(col(Booking.id) == booking_id)
            .values(consultant_notified_at=utcnow())
        )
    assert len(_entries(db, entity="booking")) == before


def test_a_lease_is_not_an_audited_change(queue: tuple[Database, int]) -> None:
    db, campaign_id = queue
    claim = claims.claim_next(db=db, campaign_id=campaign_id, phoner="anne", ignore_hours=True)
    assert claim is not None
    claims.release(db=db, company_id=claim.company_id, lease_token=claim.lease_token)
    assert _entries(db, entity="company") == []


def test_no_personal_data_left_in_the_audit_log_after_a_purge(db: Database) -> None:
    from phoner.core import gdpr

    campaign_id, _co, _k, attempt_id = _world(db)  # note: "Spørg efter Hanne"
    with db.session(write=True) as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert attempt is not None
        attempt.note = "Hanne Hansen, mobil 20 30 40 50"
        s.add(attempt)
    with db.session(write=True) as s:
        camp = s.get(b.Campaign, campaign_id)
        assert camp is not None
        gdpr.purge(
            session=s,
            campaign=camp,
            older_than_days=0,
            actor="dpo",
            now=utcnow() + dt.timedelta(days=400),
        )
    text = " ".join(f"{e.old} {e.new} {e.reason}" for e in _entries(db))
    assert "Hanne" not in text and "20 30 40 50" not in text
    # the anonymisation itself is one entry of its own, not one per blanked row
    assert not any(e.action.startswith("bulk_") for e in _entries(db))
    assert len(_entries(db, action="gdpr_purge")) == 1


def test_purge_scrubs_notes_from_the_services_own_entries(db: Database) -> None:
    from phoner.core import gdpr

    campaign_id, company_id, k_id, _a = _world(db)
    with db.session(write=True) as s:
        co = s.get(Company, company_id)
        k_obj = s.get(Consultant, k_id)
        assert co is not None and k_obj is not None
        booking_id = b.book(s, co, k_obj, T0 + dt.timedelta(days=8)).id
    assert booking_id is not None
    with db.session(write=True) as s:
        visits.record_visit_result(
            session=s,
            booking_id=booking_id,
            status=MeetingStatus.AFHOLDT,
            actor="karen",
            note="Hanne Hansen vil ansætte sin nevø",
        )
    with db.session(write=True) as s:
        camp = s.get(b.Campaign, campaign_id)
        assert camp is not None
        gdpr.purge(
            session=s,
            campaign=camp,
            older_than_days=0,
            actor="dpo",
            now=utcnow() + dt.timedelta(days=400),
        )
    text = " ".join(f"{e.old} {e.new} {e.reason}" for e in _entries(db))
    assert "Hanne" not in text

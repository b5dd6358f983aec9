"""The calling queue: order, callbacks, retries, leases, undo, hours, atomic recording."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, func, select

from phoner.core import campaigns
from phoner.core.clock import TZ
from phoner.core.db import Database
from phoner.core.errors import Conflict, InvalidInput, PhonerError
from phoner.core.models import (
    AuditLog,
    CallAttempt,
    CallState,
    ClearingReason,
    ClearingState,
    Company,
    ContactHistory,
    FollowUp,
    Jobcenter,
    NotInterestedReason,
    Outcome,
    Round,
    RoundState,
)
from phoner.core.queue._common import get_campaign
from phoner.core.queue.card import company_card, phoner_stats
from phoner.core.queue.claims import (
    HEARTBEAT,
    LEASE,
    STALE_AFTER,
    Claim,
    claim_next,
    held_companies,
    release,
    release_stale,
    renew_lease,
)
from phoner.core.queue.contact import correct_contact
from phoner.core.queue.hours import outside_calling_hours
from phoner.core.queue.outcomes import RecordedCall, record_outcome
from phoner.core.queue.undo import undo_outcome
from tests.support.worlds import MONDAY_10, Setup, make_campaign

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fleksjob.toml"


@pytest.fixture
def setup(db: Database) -> Iterator[Setup]:
    yield make_campaign(db, 5)


BeforeCommit = Callable[[Callable[[Session], None]], AbstractContextManager[None]]


@pytest.fixture
def before_commit() -> Iterator[BeforeCommit]:
    """``with before_commit(fn):`` runs ``fn`` inside every transaction just before it
    commits (an ORM ``before_commit`` event listener: what ``fn`` raises aborts the commit,
    as a failing database would). The listener is removed after the block, and after the
    test whatever happens."""
    installed: list[Callable[[Session], None]] = []

    @contextmanager
    def hook(fn: Callable[[Session], None]) -> Iterator[None]:
        event.listen(OrmSession, "before_commit", fn)
        installed.append(fn)
        try:
            yield
        finally:
            event.remove(OrmSession, "before_commit", fn)
            installed.remove(fn)

    yield hook
    for fn in installed:
        event.remove(OrmSession, "before_commit", fn)


def claim(db: Database, s: Setup, phoner: str, now: dt.datetime = MONDAY_10) -> Claim:
    c = claim_next(db=db, campaign_id=s.campaign_id, phoner=phoner, now=now)
    assert c is not None
    return c


def record(
    db: Database, c: Claim, phoner: str, outcome: Outcome, now: dt.datetime = MONDAY_10, **kw: Any
) -> RecordedCall:
    return record_outcome(
        db=db,
        company_id=c.company_id,
        lease_token=c.lease_token,
        phoner=phoner,
        outcome=outcome,
        answers=kw.pop("answers", {}),
        needs=kw.pop("needs", {}),
        note=kw.pop("note", None),
        now=now,
        **kw,
    )


def company(db: Database, company_id: int) -> Company:
    with db.session() as session:
        found = session.get(Company, company_id)
        assert found is not None
        return found


def count(db: Database, model: Any) -> int:
    with db.session() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


# --------------------------------------------------------------------------- claiming


def test_new_companies_in_list_order_each_to_one_phoner(db: Database, setup: Setup) -> None:
    claims = [claim(db, setup, f"p{i}") for i in range(5)]
    ids = [c.company_id for c in claims]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert {c.reason for c in claims} == {"new"}
    assert all(c.expires_at == MONDAY_10 + LEASE for c in claims)
    assert claim_next(db=db, campaign_id=setup.campaign_id, phoner="p9", now=MONDAY_10) is None
    held = company(db, ids[0])
    assert held.lease_holder == "p0" and held.lease_token == claims[0].lease_token


def test_uncallable_companies_are_never_handed_out(db: Database) -> None:
    s = make_campaign(db, 6)
    with db.session(write=True) as session:
        rows = session.exec(select(Company).order_by(col(Company.id))).all()
        rows[0].clearing_state = ClearingState.REMOVE
        rows[1].out_of_target = "antal ansatte"
        other = Jobcenter(name="Jobcenter Køge", municipality="Køge")
        session.add(other)
        session.flush()
        rows[2].jobcenter_id = other.id  # its jobcenter has not signed off
        planned = Round(campaign_id=s.campaign_id, number=9, state=RoundState.PLANNED)
        session.add(planned)
        session.flush()
        rows[3].round_id = planned.id
        rows[4].call_state = CallState.DONE
        callable_id = rows[5].id
        session.add_all(rows)
    got = claim(db, s, "a")
    assert got.company_id == callable_id
    assert claim_next(db=db, campaign_id=s.campaign_id, phoner="b", now=MONDAY_10) is None


def test_removal_proposal_without_decision_is_not_callable(db: Database) -> None:
    s = make_campaign(db, 2)
    with db.session(write=True) as session:
        first = session.exec(select(Company).order_by(col(Company.id))).first()
        assert first is not None
        first.clearing_proposal = ClearingReason.KONTAKTET_FOR_NYLIG
        session.add(first)
        skipped = first.id
    assert claim(db, s, "a").company_id != skipped
    assert claim_next(db=db, campaign_id=s.campaign_id, phoner="b", now=MONDAY_10) is None


def test_round_filter(db: Database) -> None:
    s = make_campaign(db, 4, rounds=2)
    c = claim_next(
        db=db, campaign_id=s.campaign_id, phoner="a", round_id=s.round_ids[1], now=MONDAY_10
    )
    assert c is not None
    assert company(db, c.company_id).round_id == s.round_ids[1]


def test_phoner_name_required(db: Database, setup: Setup) -> None:
    with pytest.raises(InvalidInput):
        claim_next(db=db, campaign_id=setup.campaign_id, phoner="  ", now=MONDAY_10)


# --------------------------------------------------------------------------- hours


@pytest.mark.parametrize(
    ("local", "why"),
    [
        (dt.datetime(2026, 11, 21, 10, 0), "weekend"),  # Saturday
        (dt.datetime(2026, 11, 23, 8, 59), "Ringetiden"),
        (dt.datetime(2026, 11, 23, 16, 0), "Ringetiden"),
        (dt.datetime(2026, 12, 25, 10, 0), "Juledag"),  # Friday, a public holiday
        (dt.datetime(2027, 3, 25, 10, 0), "Skærtorsdag"),
        (dt.datetime(2026, 6, 5, 10, 0), "Grundlovsdag"),  # jobcenters are closed
    ],
)
def test_outside_calling_hours_nothing_is_handed_out(
    sqlite_db: Database, local: dt.datetime, why: str
) -> None:
    s = make_campaign(sqlite_db, 2)
    now = local.replace(tzinfo=TZ).astimezone(dt.UTC)
    with sqlite_db.session() as session:
        campaign = get_campaign(session, s.campaign_id)
        reason = outside_calling_hours(campaign, now)
    assert reason is not None and why.lower() in reason.lower()
    assert claim_next(db=sqlite_db, campaign_id=s.campaign_id, phoner="a", now=now) is None
    forced = claim_next(
        db=sqlite_db, campaign_id=s.campaign_id, phoner="a", now=now, ignore_hours=True
    )
    assert forced is not None


def test_campaign_calling_hours_are_settings(sqlite_db: Database) -> None:
    s = make_campaign(sqlite_db, 1)
    with sqlite_db.session(write=True) as session:
        campaign = get_campaign(session, s.campaign_id)
        campaign.calling_start, campaign.calling_end = dt.time(8, 0), dt.time(20, 0)
        session.add(campaign)
    now = dt.datetime(2026, 11, 23, 19, 30, tzinfo=TZ).astimezone(dt.UTC)
    assert claim_next(db=sqlite_db, campaign_id=s.campaign_id, phoner="a", now=now) is not None


# --------------------------------------------------------------------------- leases


def test_lease_expires_after_a_minute_without_heartbeat(db: Database) -> None:
    s = make_campaign(db, 1)
    a = claim(db, s, "a")
    assert a.expires_at == MONDAY_10 + LEASE == MONDAY_10 + dt.timedelta(seconds=60)
    just_before = MONDAY_10 + LEASE - dt.timedelta(seconds=1)
    assert claim_next(db=db, campaign_id=s.campaign_id, phoner="b", now=just_before) is None
    # a crashed terminal stops renewing: a minute later b gets the company
    after = MONDAY_10 + LEASE + dt.timedelta(seconds=1)
    b = claim(db, s, "b", now=after)
    assert b.company_id == a.company_id and b.lease_token != a.lease_token
    with pytest.raises(Conflict, match="reservationen"):
        renew_lease(db=db, company_id=a.company_id, lease_token=a.lease_token, now=after)
    with pytest.raises(Conflict, match="reservationen"):
        record(db, a, "a", Outcome.IKKE_TRUFFET, now=after)
    assert count(db, CallAttempt) == 0
    record(db, b, "b", Outcome.HAR_KONTAKT, now=after)
    assert company(db, b.company_id).final_outcome == Outcome.HAR_KONTAKT


def test_heartbeat_keeps_the_lease(db: Database) -> None:
    """Renewed every HEARTBEAT, a lease outlives its minute for as long as the phoner works."""
    assert dt.timedelta(seconds=10) <= HEARTBEAT <= LEASE / 3
    s = make_campaign(db, 1)
    a = claim(db, s, "a")
    beat = MONDAY_10
    for _ in range(20):  # five minutes of calling
        beat += HEARTBEAT
        expires = renew_lease(db=db, company_id=a.company_id, lease_token=a.lease_token, now=beat)
        assert expires == beat + LEASE
        assert claim_next(db=db, campaign_id=s.campaign_id, phoner="b", now=beat) is None
    # the phoner dies after the last beat: the company is back within 90 s of it
    assert claim_next(db=db, campaign_id=s.campaign_id, phoner="b", now=beat + LEASE) is None
    back = claim(db, s, "b", now=beat + dt.timedelta(seconds=90))
    assert back.company_id == a.company_id
    record(db, back, "b", Outcome.HAR_KONTAKT, now=beat + dt.timedelta(seconds=90))


def test_coordinator_sees_held_companies(db: Database) -> None:
    s = make_campaign(db, 3)
    a = claim(db, s, "Anne")
    b = claim(db, s, "Bo", now=MONDAY_10 + dt.timedelta(seconds=5))
    now = MONDAY_10 + dt.timedelta(seconds=40)
    renew_lease(db=db, company_id=b.company_id, lease_token=b.lease_token, now=now)
    with db.session() as session:
        held = held_companies(session=session, campaign_id=s.campaign_id, now=now)
    assert [(h.holder, h.company_id, h.stale) for h in held] == [
        ("Anne", a.company_id, True),  # no heartbeat for 40 s: most likely gone
        ("Bo", b.company_id, False),
    ]
    assert held[0].since == held[0].last_heartbeat == MONDAY_10
    assert held[1].since == MONDAY_10 + dt.timedelta(seconds=5)
    assert held[1].last_heartbeat == now and held[1].expires_at == now + LEASE
    assert held[0].company == "Firma 0"
    # an expired lease is not held any more (the queue hands the company out again)
    with db.session() as session:
        later = held_companies(
            session=session, campaign_id=s.campaign_id, now=MONDAY_10 + LEASE * 2
        )
    assert later == []


def test_coordinator_releases_a_stale_lease_audited(db: Database) -> None:
    s = make_campaign(db, 1)
    a = claim(db, s, "Anne")
    fresh = MONDAY_10 + STALE_AFTER - dt.timedelta(seconds=1)
    with pytest.raises(Conflict, match="arbejder stadig"):
        release_stale(
            db=db, company_id=a.company_id, lease_token=a.lease_token, coordinator="Kim", now=fresh
        )
    assert company(db, a.company_id).lease_holder == "Anne"
    stale = MONDAY_10 + STALE_AFTER
    release_stale(
        db=db, company_id=a.company_id, lease_token=a.lease_token, coordinator="Kim", now=stale
    )
    row = company(db, a.company_id)
    assert row.lease_holder is None and row.lease_token is None and row.lease_since is None
    assert row.call_state == CallState.NEW and row.attempts == 0
    with db.session() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "release_lease")).one()
    assert entry.actor == "Kim" and entry.entity == "company"
    assert entry.entity_id == a.company_id and entry.campaign_id == s.campaign_id
    assert entry.old is not None and entry.old["lease_holder"] == "Anne"
    assert entry.old["last_heartbeat"] == MONDAY_10.isoformat()
    # the company is in the queue again right away; Anne's late outcome is refused
    b = claim(db, s, "Bo", now=stale)
    assert b.company_id == a.company_id
    with pytest.raises(Conflict, match="reservationen"):
        record(db, a, "Anne", Outcome.HAR_KONTAKT, now=stale)
    # releasing the lease the coordinator saw never touches the newer one
    with pytest.raises(Conflict, match="allerede"):
        release_stale(
            db=db,
            company_id=a.company_id,
            lease_token=a.lease_token,
            coordinator="Kim",
            now=stale + LEASE,
        )
    assert company(db, b.company_id).lease_holder == "Bo"


def test_expired_lease_still_unclaimed_can_be_recorded(db: Database) -> None:
    s = make_campaign(db, 1)
    a = claim(db, s, "a")
    late = MONDAY_10 + dt.timedelta(minutes=30)
    attempt = record(db, a, "a", Outcome.IKKE_INTERESSERET, now=late)
    assert attempt.id is not None


def test_release_puts_company_back(db: Database, setup: Setup) -> None:
    a = claim(db, setup, "a")
    assert release(db=db, company_id=a.company_id, lease_token=a.lease_token)
    assert not release(db=db, company_id=a.company_id, lease_token=a.lease_token)
    b = claim(db, setup, "b")
    assert b.company_id == a.company_id
    assert company(db, a.company_id).attempts == 0


# --------------------------------------------------------------------------- outcomes


def test_substantive_outcome_is_final_with_history_audit_and_followup(
    db: Database, setup: Setup
) -> None:
    c = claim(db, setup, "Anne")
    attempt = record(
        db,
        c,
        "Anne",
        Outcome.VIL_KONTAKTES,
        answers={"rette_person": "1", "besoeg": "2"},
        needs={"jobtype": "Rengøring", "timer_pr_uge": 8, "note": ""},
        note="  Ring efter kl. 12  ",
        started_at=MONDAY_10 - dt.timedelta(minutes=3),
    )
    row = company(db, c.company_id)
    assert row.call_state == CallState.DONE and row.final_outcome == Outcome.VIL_KONTAKTES
    assert row.attempts == 1 and row.lease_holder is None and row.lease_token is None
    with db.session() as session:
        stored = session.get(CallAttempt, attempt.id)
        assert stored is not None
        assert stored.needs == {"jobtype": "Rengøring", "timer_pr_uge": 8}
        assert stored.answers == {"rette_person": "1", "besoeg": "2"}
        assert stored.note == "Ring efter kl. 12"
        assert stored.script_hash == campaigns.script_hash(SCRIPT)
        history = session.exec(select(ContactHistory)).one()
        assert history.cvr == row.cvr and history.outcome == "vil_kontaktes"
        assert history.contact_date == dt.date(2026, 11, 23)
        fu = session.exec(select(FollowUp)).one()
        assert fu.attempt_id == attempt.id and fu.company_id == c.company_id
        entry = session.exec(select(AuditLog).where(AuditLog.action == "record_outcome")).one()
        assert entry.actor == "Anne" and entry.old is not None
        assert entry.old["call_state"] == "new"


def test_no_answer_retries_then_not_reached(db: Database) -> None:
    s = make_campaign(db, 1, max_attempts=3, retry_minutes={"ikke_truffet": 60, "optaget": 10})
    now = MONDAY_10
    c = claim(db, s, "a", now)
    record(db, c, "a", Outcome.IKKE_TRUFFET, now=now)
    row = company(db, c.company_id)
    assert row.call_state == CallState.RETRY and row.next_call_at == now + dt.timedelta(hours=1)
    assert row.final_outcome is None and row.last_outcome == Outcome.IKKE_TRUFFET
    # not due yet
    early = now + dt.timedelta(minutes=59)
    assert claim_next(db=db, campaign_id=s.campaign_id, phoner="a", now=early) is None
    now += dt.timedelta(hours=1)
    c = claim(db, s, "b", now)
    assert c.reason == "retry"
    record(db, c, "b", Outcome.OPTAGET, now=now)
    assert company(db, c.company_id).next_call_at == now + dt.timedelta(minutes=10)
    now += dt.timedelta(minutes=10)
    c = claim(db, s, "a", now)
    record(db, c, "a", Outcome.IKKE_TRUFFET, now=now)
    row = company(db, c.company_id)
    assert row.call_state == CallState.NOT_REACHED and row.attempts == 3
    assert row.next_call_at is None and row.final_outcome is None
    later = now + dt.timedelta(days=1)
    assert claim_next(db=db, campaign_id=s.campaign_id, phoner="a", now=later) is None


def test_retries_come_before_new_companies(db: Database) -> None:
    s = make_campaign(db, 3, retry_minutes={"ikke_truffet": 30})
    c = claim(db, s, "a")
    record(db, c, "a", Outcome.IKKE_TRUFFET)
    later = MONDAY_10 + dt.timedelta(minutes=31)
    again = claim(db, s, "b", later)
    assert again.company_id == c.company_id and again.reason == "retry"


def test_callback_goes_to_its_phoner_then_to_anyone_after_grace(db: Database) -> None:
    s = make_campaign(db, 3, callback_grace_minutes=15)
    c = claim(db, s, "Anne")
    at = MONDAY_10 + dt.timedelta(hours=2)
    attempt = record(db, c, "Anne", Outcome.RING_TILBAGE, callback_at=at, note="Spørg efter Bo")
    assert attempt.callback_at == at
    row = company(db, c.company_id)
    assert row.call_state == CallState.CALLBACK and row.next_call_at == at
    assert row.callback_phoner == "Anne"
    # not due: Anne gets a new company
    early = at - dt.timedelta(minutes=1)
    got = claim(db, s, "Anne", early)
    assert got.company_id != c.company_id
    release(db=db, company_id=got.company_id, lease_token=got.lease_token)
    # due: Bo does not get Anne's callback within the grace period...
    due = at + dt.timedelta(minutes=1)
    bo = claim(db, s, "Bo", due)
    assert bo.company_id != c.company_id and bo.reason == "new"
    release(db=db, company_id=bo.company_id, lease_token=bo.lease_token)
    # ...Anne does, first
    anne = claim(db, s, "Anne", due)
    assert anne.company_id == c.company_id and anne.reason == "callback"
    release(db=db, company_id=anne.company_id, lease_token=anne.lease_token)
    # after the grace period anyone gets it, before new companies
    late = at + dt.timedelta(minutes=16)
    bo = claim(db, s, "Bo", late)
    assert bo.company_id == c.company_id and bo.reason == "callback"


def test_callback_requires_a_time(db: Database, setup: Setup) -> None:
    c = claim(db, setup, "a")
    with pytest.raises(InvalidInput, match="tidspunkt"):
        record(db, c, "a", Outcome.RING_TILBAGE)
    assert company(db, c.company_id).lease_token == c.lease_token


def test_wrong_number_tries_next_number_then_is_final(db: Database) -> None:
    s = make_campaign(db, 1)
    with db.session(write=True) as session:
        row = session.exec(select(Company)).one()
        row.phones = ["+4533123456", "+4522334455"]
        session.add(row)
    c = claim(db, s, "a")
    record(db, c, "a", Outcome.FORKERT_NUMMER)
    row = company(db, c.company_id)
    assert row.call_state == CallState.RETRY and row.next_call_at == MONDAY_10
    with db.session() as session:
        assert company_card(session=session, company_id=c.company_id).wrong_numbers == 1
    c = claim(db, s, "a")
    record(db, c, "a", Outcome.FORKERT_NUMMER)
    row = company(db, c.company_id)
    assert row.call_state == CallState.DONE and row.final_outcome == Outcome.FORKERT_NUMMER


def test_closed_company_is_final(db: Database, setup: Setup) -> None:
    c = claim(db, setup, "a")
    record(db, c, "a", Outcome.LUKKET)
    row = company(db, c.company_id)
    assert row.call_state == CallState.DONE and row.final_outcome == Outcome.LUKKET
    assert count(db, ContactHistory) == 0  # not substantive: no contact history


def test_recording_is_atomic(db: Database, setup: Setup, before_commit: BeforeCommit) -> None:
    c = claim(db, setup, "a")

    def boom(session: Session) -> None:
        raise RuntimeError("disk pulled out mid-transaction")

    with before_commit(boom), pytest.raises(RuntimeError):
        record(db, c, "a", Outcome.VIL_KONTAKTES, needs={"jobtype": "Kantine"})
    for model in (CallAttempt, ContactHistory, FollowUp, AuditLog):
        assert count(db, model) == (1 if model is AuditLog else 0), model  # create_campaign
    row = company(db, c.company_id)
    assert row.call_state == CallState.NEW and row.attempts == 0
    assert row.lease_token == c.lease_token  # still the phoner's: they can retry
    record(db, c, "a", Outcome.VIL_KONTAKTES)
    assert count(db, CallAttempt) == 1


def test_database_failure_is_a_danish_error(
    sqlite_db: Database, before_commit: BeforeCommit
) -> None:
    import sqlite3

    s = make_campaign(sqlite_db, 1)
    c = claim(sqlite_db, s, "a")

    def full(session: Session) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with before_commit(full), pytest.raises(PhonerError, match="Disken er fuld"):
        record(sqlite_db, c, "a", Outcome.HAR_KONTAKT)
    assert count(sqlite_db, CallAttempt) == 0


# --------------------------------------------------------------------------- undo


def test_undo_restores_state_and_gives_company_back(db: Database, setup: Setup) -> None:
    c = claim(db, setup, "a")
    attempt = record(db, c, "a", Outcome.VIL_KONTAKTES, note="oops")
    assert attempt.id is not None
    back = undo_outcome(
        db=db, attempt_id=attempt.id, phoner="a", now=MONDAY_10 + dt.timedelta(minutes=2)
    )
    assert back.company_id == c.company_id and back.reason == "new"
    row = company(db, c.company_id)
    assert row.call_state == CallState.NEW and row.attempts == 0
    assert row.final_outcome is None and row.last_outcome is None
    assert row.lease_holder == "a" and row.lease_token == back.lease_token
    assert count(db, CallAttempt) == 0
    assert count(db, ContactHistory) == 0
    assert count(db, FollowUp) == 0
    with db.session() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "undo_outcome")).one()
        assert entry.old is not None and entry.old["outcome"] == "vil_kontaktes"
        assert entry.old["note"] == "[personoplysning]"  # not the note itself
    # others cannot take it while a has it; a records the right outcome
    assert (
        claim_next(
            db=db,
            campaign_id=setup.campaign_id,
            phoner="b",
            now=MONDAY_10 + dt.timedelta(minutes=2),
        ).company_id  # type: ignore[union-attr]
        != c.company_id
    )
    record(db, back, "a", Outcome.IKKE_INTERESSERET, now=MONDAY_10 + dt.timedelta(minutes=3))
    assert company(db, c.company_id).final_outcome == Outcome.IKKE_INTERESSERET


def test_undo_of_a_retry_restores_the_retry(db: Database) -> None:
    s = make_campaign(db, 1, retry_minutes={"ikke_truffet": 60})
    c = claim(db, s, "a")
    record(db, c, "a", Outcome.IKKE_TRUFFET)
    later = MONDAY_10 + dt.timedelta(hours=1)
    c2 = claim(db, s, "a", later)
    attempt = record(db, c2, "a", Outcome.HAR_FLEKSJOBBERE, now=later)
    assert attempt.id is not None
    back = undo_outcome(db=db, attempt_id=attempt.id, phoner="a", now=later)
    assert back.reason == "retry"
    row = company(db, c.company_id)
    assert row.call_state == CallState.RETRY and row.attempts == 1
    assert row.last_outcome == Outcome.IKKE_TRUFFET
    assert row.next_call_at == MONDAY_10 + dt.timedelta(hours=1)


def test_undo_limits(db: Database, setup: Setup) -> None:
    c = claim(db, setup, "a")
    attempt = record(db, c, "a", Outcome.IKKE_INTERESSERET)
    assert attempt.id is not None
    with pytest.raises(Conflict, match="egne"):
        undo_outcome(db=db, attempt_id=attempt.id, phoner="b", now=MONDAY_10)
    with pytest.raises(Conflict, match="5 minutter"):
        undo_outcome(
            db=db, attempt_id=attempt.id, phoner="a", now=MONDAY_10 + dt.timedelta(minutes=6)
        )
    assert count(db, CallAttempt) == 1
    assert company(db, c.company_id).call_state == CallState.DONE


def test_undo_window_is_the_campaigns_setting(db: Database) -> None:
    s = make_campaign(db, 1, undo_minutes=10)
    c = claim(db, s, "a")
    attempt = record(db, c, "a", Outcome.IKKE_INTERESSERET)
    assert attempt.id is not None
    with pytest.raises(Conflict, match="10 minutter"):
        undo_outcome(
            db=db, attempt_id=attempt.id, phoner="a", now=MONDAY_10 + dt.timedelta(minutes=11)
        )
    back = undo_outcome(
        db=db, attempt_id=attempt.id, phoner="a", now=MONDAY_10 + dt.timedelta(minutes=8)
    )
    assert back.company_id == c.company_id


# --------------------------------------------------------------------------- reading


def test_company_card_and_stats(db: Database) -> None:
    s = make_campaign(db, 4, retry_minutes={"ikke_truffet": 1})
    c = claim(db, s, "Anne")
    record(db, c, "Anne", Outcome.IKKE_TRUFFET, note="ingen svar")
    t2 = MONDAY_10 + dt.timedelta(minutes=2)
    c2 = claim(db, s, "Anne", t2)
    assert c2.company_id == c.company_id
    record(db, c2, "Anne", Outcome.HAR_KONTAKT, now=t2)
    other = claim(db, s, "Bo", t2)
    record(db, other, "Bo", Outcome.IKKE_INTERESSERET, now=t2)
    with db.session(write=True) as session:
        row = session.get(Company, c.company_id)
        assert row is not None
        row.clearing_note = "Kendt af Karen"
        session.add(row)
    with db.session() as session:
        card = company_card(session=session, company_id=c.company_id)
        assert card.jobcenter_name == "Jobcenter Test" and card.round_number == 1
        assert [a.outcome for a in card.attempts] == [Outcome.HAR_KONTAKT, Outcome.IKKE_TRUFFET]
        assert card.attempts[1].note == "ingen svar" and card.attempts[0].phoner == "Anne"
        assert card.clearing_notes == ["Kendt af Karen"]
        stats = phoner_stats(
            session=session, campaign_id=s.campaign_id, phoner="Anne", day=dt.date(2026, 11, 23)
        )
        assert stats.calls_today == 2
        assert stats.outcomes_today == {Outcome.IKKE_TRUFFET: 1, Outcome.HAR_KONTAKT: 1}
        assert stats.left_in_round == 2
        other_day = phoner_stats(
            session=session, campaign_id=s.campaign_id, phoner="Anne", day=dt.date(2026, 11, 24)
        )
        assert other_day.calls_today == 0 and other_day.left_in_round == 2


def test_any_database_refusal_is_a_danish_error_and_nothing_is_written(
    db: Database, setup: Setup, before_commit: BeforeCommit
) -> None:
    import sqlalchemy as sa

    from phoner.core.errors import DatabaseError

    c = claim(db, setup, "a")

    def refuse(session: Session) -> None:
        session.flush()
        raise sa.exc.IntegrityError("INSERT ...", {}, Exception("constraint failed"))

    with before_commit(refuse), pytest.raises(DatabaseError, match="Udfaldet blev ikke gemt"):
        record(db, c, "a", Outcome.HAR_KONTAKT)
    with pytest.raises(InvalidInput, match="ikke kan gemmes"):
        record(db, c, "a", Outcome.HAR_KONTAKT, needs={"hvornaar": object()})
    assert count(db, CallAttempt) == 0
    row = company(db, c.company_id)
    assert row.call_state == CallState.NEW and row.lease_token == c.lease_token
    with pytest.raises(InvalidInput, match="for langt"):
        record(db, c, "x" * 121, Outcome.HAR_KONTAKT)


# --------------------------------------------------------------------------- reasons, revisits


def test_not_interested_keeps_its_reason_on_the_attempt(db: Database) -> None:
    s = make_campaign(db, 3)
    first = claim(db, s, "mette")
    record(db, first, "mette", Outcome.IKKE_INTERESSERET, reason=NotInterestedReason.FOR_LILLE)
    other = claim(db, s, "mette")
    record(
        db,
        other,
        "mette",
        Outcome.IKKE_INTERESSERET,
        reason=NotInterestedReason.ANDET,
        reason_text="  Vil ikke have jobcentret ud  ",
    )
    third = claim(db, s, "mette")
    # a reason belongs to "Ikke interesseret" only
    record(db, third, "mette", Outcome.IKKE_TRUFFET, reason=NotInterestedReason.FOR_LILLE)
    with db.session() as session:
        rows = {a.company_id: (a.reason, a.reason_text) for a in session.exec(select(CallAttempt))}
    assert rows == {
        first.company_id: (NotInterestedReason.FOR_LILLE, None),
        other.company_id: (NotInterestedReason.ANDET, "Vil ikke have jobcentret ud"),
        third.company_id: (None, None),
    }
    with db.session() as session:
        card = company_card(session=session, company_id=other.company_id)
    assert card.attempts[0].reason == NotInterestedReason.ANDET


def test_other_reason_needs_words_and_nothing_is_saved_without(db: Database) -> None:
    s = make_campaign(db, 1)
    c = claim(db, s, "mette")
    with pytest.raises(InvalidInput, match="Andet"):
        record(db, c, "mette", Outcome.IKKE_INTERESSERET, reason=NotInterestedReason.ANDET)
    assert count(db, CallAttempt) == 0
    assert company(db, c.company_id).lease_holder == "mette"  # still hers: try again


def test_not_now_comes_back_to_any_phoner_days_before_the_revisit_day(db: Database) -> None:
    s = make_campaign(db, 1)
    c = claim(db, s, "mette")
    revisit = dt.date(2027, 3, 1)  # a Monday: five working days before is Monday 22 Feb
    done = record(db, c, "mette", Outcome.IKKE_NU, revisit_on=revisit)
    back = dt.datetime(2027, 2, 22, 9, 0, tzinfo=TZ).astimezone(dt.UTC)
    assert done.callback_at == back
    row = company(db, c.company_id)
    assert (row.call_state, row.next_call_at, row.callback_phoner) == (
        CallState.CALLBACK,
        back,
        None,
    )
    # not handed out before, not even the working day before at noon
    friday = dt.datetime(2027, 2, 19, 12, 0, tzinfo=TZ).astimezone(dt.UTC)
    assert claim_next(db=db, campaign_id=s.campaign_id, phoner="lars", now=friday) is None
    again = claim_next(
        db=db, campaign_id=s.campaign_id, phoner="lars", now=back + dt.timedelta(hours=1)
    )
    assert again is not None and again.company_id == c.company_id
    assert again.reason == "callback"
    with db.session() as session:
        card = company_card(session=session, company_id=c.company_id)
    assert card.attempts[0].revisit_on == revisit


def test_not_now_soon_comes_back_the_next_working_day_and_never_today(db: Database) -> None:
    s = make_campaign(db, 1)
    c = claim(db, s, "mette")
    # Monday 23 Nov; revisit Wednesday: too close for five days' notice -> Tuesday 09:00
    done = record(db, c, "mette", Outcome.IKKE_NU, revisit_on=dt.date(2026, 11, 25))
    assert done.callback_at == dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ).astimezone(dt.UTC)


@pytest.mark.parametrize("revisit", [None, dt.date(2026, 11, 23), dt.date(2026, 11, 1)])
def test_not_now_needs_a_day_after_today(db: Database, revisit: dt.date | None) -> None:
    s = make_campaign(db, 1)
    c = claim(db, s, "mette")
    with pytest.raises(InvalidInput, match="Ikke nu, men senere"):
        record(db, c, "mette", Outcome.IKKE_NU, revisit_on=revisit)
    assert count(db, CallAttempt) == 0


# --------------------------------------------------------------------------- contact corrections


def test_a_corrected_number_is_called_and_the_old_one_stays_in_the_history(db: Database) -> None:
    s = make_campaign(db, 1)
    c = claim(db, s, "mette")
    card = correct_contact(
        db=db,
        company_id=c.company_id,
        lease_token=c.lease_token,
        phoner="mette",
        phone="40 12 34 56",
        contact_person="Lis  Holm",
        email="lis@firma.dk",
        now=MONDAY_10,
    )
    assert card is not None
    assert card.company.phones == ("+4540123456",)
    assert (card.company.contact_person, card.company.email) == ("Lis Holm", "lis@firma.dk")
    [change] = card.contact_changes
    assert (change.day, change.by, change.phone, change.contact_person, change.email) == (
        dt.date(2026, 11, 23),
        "mette",
        "+4533123456",
        None,
        None,
    )
    with db.session() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "correct_contact")).one()
    # the audit log says what changed, never to what (personal data)
    assert entry.new == {"changed": ["email", "kontaktperson", "telefon"]}
    assert "4540123456" not in str(entry.old) + str(entry.new)
    # the same again changes nothing
    again = correct_contact(
        db=db,
        company_id=c.company_id,
        lease_token=c.lease_token,
        phoner="mette",
        phone="+45 40 12 34 56",
        contact_person="Lis Holm",
        email="lis@firma.dk",
        now=MONDAY_10,
    )
    assert again is None


@pytest.mark.parametrize(
    ("phone", "email", "message"),
    [
        ("12", "", "ikke et gyldigt telefonnummer"),
        ("", "", "Skriv det nummer"),
        ("40 12 34 56", "lis.firma.dk", "ikke en e-mailadresse"),
    ],
)
def test_a_bad_number_or_address_is_refused_and_nothing_changes(
    db: Database, phone: str, email: str, message: str
) -> None:
    s = make_campaign(db, 1)
    c = claim(db, s, "mette")
    with pytest.raises(InvalidInput, match=message):
        correct_contact(
            db=db,
            company_id=c.company_id,
            lease_token=c.lease_token,
            phoner="mette",
            phone=phone,
            contact_person="",
            email=email,
        )
    assert company(db, c.company_id).phones == ["+4533123456"]


def test_only_the_phoner_holding_the_company_corrects_it(db: Database) -> None:
    s = make_campaign(db, 1)
    c = claim(db, s, "mette")
    with pytest.raises(Conflict):
        correct_contact(
            db=db,
            company_id=c.company_id,
            lease_token="not-the-lease",
            phoner="lars",
            phone="40 12 34 56",
            contact_person="",
            email="",
        )

"""Slot search and booking under the near-date rules (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing as mp
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from phoner.core import absence_sources, feeds, vocabulary
from phoner.core.absence_sources import AbsencePolicy
from phoner.core.booking import answers
from phoner.core.booking import service as bk
from phoner.core.booking.rules import (
    SLOT_STEP_MINUTES,
    BookingRefused,
    ConsultantPlan,
    Planner,
    Rule,
    Slot,
)
from phoner.core.clock import TZ, local_date, local_to_utc, to_local
from phoner.core.db import Database, make_engine
from phoner.core.errors import Conflict, InvalidInput
from phoner.core.models import (
    AuditLog,
    Booking,
    BookingStatus,
    CancelReason,
    Consultant,
    FollowUp,
)
from tests.support.booking import NOW, at, make_world

# --------------------------------------------------------------------------- pure rules


def _plan(**kw: object) -> Planner:
    base: dict[str, object] = {
        "now": NOW,
        "horizon_days": 42,
        "min_notice_days": 2,
        "company_jobcenter_id": 1,
        "any_jobcenter": False,
        "consultants": [ConsultantPlan(1, "Fatima", 1), ConsultantPlan(2, "Jesper", 1)],
    }
    base.update(kw)
    return Planner(**base)  # type: ignore[arg-type]


def test_rules_each_named() -> None:
    p = _plan(
        consultants=[ConsultantPlan(1, "Fatima", 1), ConsultantPlan(9, "Mikkel", 2)],
        bookings={1: [(at("2027-03-31", "10:00"), at("2027-03-31", "11:00"))]},
        absences={1: [(at("2027-04-01", "08:00"), at("2027-04-01", "12:00"))]},
    )
    cases = {
        at("2027-03-23", "09:00"): Rule.NOTICE,
        at("2027-03-22", "09:00"): Rule.PAST,
        at("2027-05-04", "09:00"): Rule.HORIZON,
        at("2027-03-29", "09:00"): Rule.HOLIDAY,
        at("2027-04-03", "09:00"): Rule.WORKING_DAY,
        at("2027-03-30", "09:10"): Rule.QUARTER,
        at("2027-03-30", "15:00"): Rule.WORKING_HOURS,
        at("2027-03-30", "08:00"): Rule.WORKING_HOURS,
        at("2027-03-31", "10:30"): Rule.OVERLAP,
        at("2027-03-31", "11:15"): Rule.OVERLAP,  # inside the 30 min travel buffer
        at("2027-04-01", "11:00"): Rule.ABSENCE,
    }
    for start, rule in cases.items():
        v = p.violation(1, start)
        assert v is not None and v.rule == rule, (start, v)
        assert v.message
    assert p.violation(1, at("2027-03-31", "11:30")) is None
    assert p.violation(1, at("2027-03-30", "14:30")) is None
    v = p.violation(9, at("2027-03-30", "09:00"))
    assert v is not None and v.rule == Rule.JOBCENTER
    wide = _plan(
        any_jobcenter=True,
        consultants=[ConsultantPlan(1, "Fatima", 1), ConsultantPlan(9, "Mikkel", 2)],
    )
    assert wide.violation(9, at("2027-03-30", "09:00")) is None
    assert p.latest_day == dt.date(2027, 5, 3)
    assert wide.violation(1, at("2027-05-03", "09:00")) is None


def test_max_visits_per_day() -> None:
    day = "2027-03-30"
    booked = [(at(day, h), at(day, h) + dt.timedelta(hours=1)) for h in ("08:30", "10:00")]
    p = _plan(
        consultants=[ConsultantPlan(1, "Fatima", 1, max_visits_per_day=2)], bookings={1: booked}
    )
    v = p.violation(1, at(day, "13:00"))
    assert v is not None and v.rule == Rule.MAX_PER_DAY
    assert all(s.day != dt.date(2027, 3, 30) for s in p.slots())


def test_first_slots_earliest_first_across_consultants() -> None:
    p = _plan(bookings={1: [(at("2027-03-24", "08:30"), at("2027-03-24", "09:30"))]})
    slots = list(p.slots())
    assert slots[0] == Slot(2, "Jesper", at("2027-03-24", "08:30"), at("2027-03-24", "09:30"))
    # a tie at 10:00 goes to the consultant with fewer visits that day
    assert [(x.consultant_id, x.start) for x in slots[1:3]] == [
        (2, at("2027-03-24", "10:00")),
        (1, at("2027-03-24", "10:00")),
    ]
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    # after Wednesday comes Tuesday 30 March (Easter in between)
    assert {s.day for s in slots[:12]} == {dt.date(2027, 3, 24), dt.date(2027, 3, 30)}
    assert slots[0].label() == "ons 24.03.2027 kl. 08.30–09.30 hos Jesper"


def test_refusal_names_rule_and_alternatives() -> None:
    p = _plan()
    v = p.violation(1, at("2027-05-20", "09:00"))
    assert v is not None
    exc = p.refuse(v, 1, at("2027-05-20", "09:00"))
    text = str(exc)
    assert text.startswith("Uden for bookinghorisonten (seneste dag er 03.05.2027).")
    assert "Nærmeste ledige tid: man 03.05.2027 kl. 14.30–15.30 hos Fatima." in text
    assert "Første ledige tid: ons 24.03.2027 kl. 08.30–09.30 hos Fatima." in text
    assert exc.rule == Rule.HORIZON


def test_unreadable_absence_makes_consultant_unavailable() -> None:
    p = _plan(unreadable_absence={1: "filen x.ics findes ikke"})
    assert all(s.consultant_id == 2 for s in p.slots())
    v = p.violation(1, at("2027-03-30", "09:00"))
    assert v is not None and v.rule == Rule.ABSENCE and "x.ics" in v.message


# --------------------------------------------------------------------------- properties

_times = st.sampled_from([dt.time(h, m) for h in range(7, 12) for m in (0, 10, 15, 30, 45)])
_ends = st.sampled_from([dt.time(h, m) for h in range(13, 18) for m in (0, 30, 45)])


@st.composite
def planners(draw: st.DrawFn) -> Planner:
    now = local_to_utc(
        draw(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))),
        draw(st.sampled_from([dt.time(7, 0), dt.time(11, 7), dt.time(16, 0)])),
    )
    horizon = draw(st.integers(3, 21))
    consultants = []
    bookings: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    absences: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for cid in range(1, draw(st.integers(1, 3)) + 1):
        c = ConsultantPlan(
            id=cid,
            name=f"K{cid}",
            jobcenter_id=draw(st.sampled_from([1, 1, 2])),
            working_days=frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
            work_start=draw(_times),
            work_end=draw(_ends),
            max_visits_per_day=draw(st.integers(1, 4)),
            travel_buffer_minutes=draw(st.sampled_from([0, 15, 20, 30, 45])),
            visit_minutes=draw(st.sampled_from([30, 45, 60, 90])),
            active=draw(st.booleans()) or cid == 1,
        )
        consultants.append(c)
        day0 = local_date(now)
        for _ in range(draw(st.integers(0, 6))):
            d = day0 + dt.timedelta(days=draw(st.integers(0, horizon)))
            s = local_to_utc(
                d, dt.time(draw(st.integers(7, 16)), draw(st.sampled_from([0, 5, 30])))
            )
            bookings.setdefault(cid, []).append((s, s + dt.timedelta(minutes=c.visit_minutes)))
        for _ in range(draw(st.integers(0, 2))):
            d = day0 + dt.timedelta(days=draw(st.integers(0, horizon)))
            s = local_to_utc(d, dt.time(draw(st.integers(6, 16)), 0))
            absences.setdefault(cid, []).append(
                (s, s + dt.timedelta(minutes=draw(st.integers(10, 600))))
            )
    return Planner(
        now=now,
        horizon_days=horizon,
        min_notice_days=draw(st.integers(0, 3)),
        company_jobcenter_id=1,
        any_jobcenter=draw(st.booleans()),
        consultants=consultants,
        bookings={k: sorted(v) for k, v in bookings.items()},
        absences=absences,
    )


def _brute_force_earliest(p: Planner) -> dt.datetime | None:
    """Every quarter hour of every day in the window, checked with the rule predicate."""
    best: dt.datetime | None = None
    day = p.today
    while day <= p.latest_day and best is None:
        for minute in range(0, 24 * 60, SLOT_STEP_MINUTES):
            start = local_to_utc(day, dt.time(minute // 60, minute % 60))
            if any(p.violation(c.id, start) is None for c in p.consultants):
                best = start
                break
        day += dt.timedelta(days=1)
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planners())
def test_property_no_slot_violates_a_rule_and_first_is_earliest(p: Planner) -> None:
    slots = list(p.slots())
    for s in slots:
        assert p.violation(s.consultant_id, s.start) is None, s
        assert s.end - s.start == dt.timedelta(
            minutes=next(c.visit_minutes for c in p.consultants if c.id == s.consultant_id)
        )
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    earliest = _brute_force_earliest(p)
    assert (slots[0].start if slots else None) == earliest


@settings(max_examples=80, deadline=None)
@given(planners(), st.data())
def test_property_every_refusal_names_a_rule(p: Planner, data: st.DataObject) -> None:
    cid = data.draw(st.sampled_from([c.id for c in p.consultants]))
    day = p.today + dt.timedelta(days=data.draw(st.integers(-2, p.horizon_days + 3)))
    start = dt.datetime.combine(
        day,
        dt.time(data.draw(st.integers(5, 20)), data.draw(st.sampled_from([0, 15, 20, 45]))),
        tzinfo=TZ,
    ).astimezone(dt.UTC)
    v = p.violation(cid, start)
    if v is None:
        c = next(c for c in p.consultants if c.id == cid)
        assert c.active and to_local(start).minute % 15 == 0
        return
    assert isinstance(v.rule, Rule) and v.message
    exc = p.refuse(v, cid, start)
    assert str(exc).startswith(v.message)
    first = p.first()
    assert ("ledige tid:" in str(exc)) == (first is not None)
    alternative = p.nearest(cid, start) or first  # the slots the message offers
    if alternative is not None:
        assert p.violation(alternative.consultant_id, alternative.start) is None


# --------------------------------------------------------------------------- database


def test_find_and_book_on_both_databases(db: Database) -> None:
    w = make_world(db)
    with db.session() as s:
        slots = bk.find_slots(session=s, company_id=w.company_id, now=NOW, limit=5)
        assert len(slots) == 5
        assert slots[0].start == at("2027-03-24", "08:30")
        assert {x.consultant_id for x in slots} <= set(w.consultant_ids)
        day = bk.find_slots(
            session=s, company_id=w.company_id, now=NOW, day=dt.date(2027, 3, 30), limit=50
        )
        assert {x.day for x in day} == {dt.date(2027, 3, 30)}
        one = bk.find_slots(
            session=s, company_id=w.company_id, now=NOW, consultant_id=w.consultant_ids[1]
        )
        assert {x.consultant_id for x in one} == {w.consultant_ids[1]}
    b = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=slots[0].consultant_id,
        start=slots[0].start,
        booked_by="telefonist1",
        attempt_id=w.attempt_id,
        contact_mobile="20 12 34 56",
        now=NOW,
    )
    assert b.uid.endswith("@phoner") and b.sequence == 0 and b.status == BookingStatus.BOOKED
    assert b.end - b.start == dt.timedelta(minutes=60)
    assert b.contact_person == "Åse Kjær" and b.contact_email == "aase@hansen.dk"
    assert b.contact_mobile == "+4520123456"
    assert b.details["needs"]["jobfunktion"] == "Rengøring"
    assert b.details["note"].startswith("Ring helst")
    assert b.details["answers"]["besoeg"] == "ja"
    with db.session() as s:
        fu = s.exec(select(FollowUp).where(FollowUp.company_id == w.company_id)).one()
        assert fu.done_at is not None and fu.done_by == "telefonist1"
        assert s.exec(select(AuditLog).where(AuditLog.action == "book")).one().entity_id == b.id
        # the slot is gone for everybody
        again = bk.find_slots(session=s, company_id=w.other_company_id, now=NOW, limit=3)
        assert all(
            not (
                x.consultant_id == b.consultant_id
                and x.start < b.end + dt.timedelta(minutes=30)
                and b.start - dt.timedelta(minutes=30) < x.end
            )
            for x in again
        )
    # same consultant, same time, another company: refused with the rule and an alternative
    with pytest.raises(BookingRefused) as info:
        bk.book_visit(
            db=db,
            company_id=w.other_company_id,
            consultant_id=b.consultant_id,
            start=b.start,
            booked_by="telefonist2",
            now=NOW,
        )
    assert info.value.rule == Rule.OVERLAP and "Første ledige tid" in str(info.value)
    # the company already has a visit
    with pytest.raises(BookingRefused) as info:
        bk.book_visit(
            db=db,
            company_id=w.company_id,
            consultant_id=w.consultant_ids[1],
            start=at("2027-03-31", "09:00"),
            booked_by="telefonist1",
            now=NOW,
        )
    assert info.value.rule == Rule.COMPANY_BOOKED
    with pytest.raises(BookingRefused) as info:
        bk.book_visit(
            db=db,
            company_id=w.other_company_id,
            consultant_id=w.foreign_consultant_id,
            start=at("2027-03-31", "09:00"),
            booked_by="telefonist1",
            now=NOW,
        )
    assert info.value.rule == Rule.JOBCENTER
    with pytest.raises(InvalidInput):
        bk.book_visit(
            db=db,
            company_id=w.other_company_id,
            consultant_id=w.consultant_ids[0],
            start=at("2027-03-31", "09:00"),
            booked_by="x",
            contact_email="ikke en adresse",
            now=NOW,
        )


def test_move_and_cancel_raise_sequence_and_audit(db: Database) -> None:
    w = make_world(db)
    c1, c2 = w.consultant_ids
    b = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c1,
        start=at("2027-03-24", "09:00"),
        booked_by="t1",
        now=NOW,
    )
    later = NOW + dt.timedelta(hours=1)
    moved = bk.move_booking(
        db=db, booking_id=b.id or 0, start=at("2027-03-30", "10:00"), actor="t1", now=later
    )
    assert moved.id == b.id and moved.uid == b.uid and moved.sequence == 1
    assert moved.start == at("2027-03-30", "10:00") and moved.modified_at == later
    assert moved.consultant_notified_at is None
    with pytest.raises(BookingRefused) as info:
        bk.move_booking(
            db=db, booking_id=b.id or 0, start=at("2027-03-29", "10:00"), actor="t1", now=later
        )
    assert info.value.rule == Rule.HOLIDAY
    assert "29.03.2027 er helligdag (Anden påskedag)." in str(info.value)
    other = bk.move_booking(
        db=db,
        booking_id=b.id or 0,
        start=at("2027-03-31", "10:00"),
        actor="t1",
        consultant_id=c2,
        now=later,
    )
    assert other.id != b.id and other.uid != b.uid and other.consultant_id == c2
    assert other.details["moved_from"] == b.id
    with db.session() as s:
        old = s.get(Booking, b.id)
        assert old is not None and old.status == BookingStatus.CANCELLED
        assert old.cancel_reason == CancelReason.MOVED and old.sequence == 2
    cancelled = bk.cancel_booking(
        db=db,
        booking_id=other.id or 0,
        reason=CancelReason.COMPANY_CANCELLED,
        actor="t1",
        now=later,
    )
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.sequence == 1
    with pytest.raises(Conflict):
        bk.cancel_booking(
            db=db, booking_id=other.id or 0, reason=CancelReason.MOVED, actor="t1", now=later
        )
    with db.session() as s:
        actions = s.exec(select(AuditLog.action).order_by(col(AuditLog.id))).all()
    assert (
        actions == ["book", "close", "move", "cancel", "book", "cancel"]
        or actions.count("cancel") == 2
    )
    assert vocabulary.parse(CancelReason, "virksomhed") == CancelReason.COMPANY_CANCELLED
    with pytest.raises(InvalidInput):
        vocabulary.parse(CancelReason, "vejret")


def test_absence_file_blocks_time(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(absence_sources, "_override", AbsencePolicy(workspace=tmp_path))
    w = make_world(db, consultants=1)
    ics = tmp_path / "fravaer.ics"
    ics.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\n"
        b"DTSTAMP:20270101T000000Z\r\nDTSTART;VALUE=DATE:20270324\r\n"
        b"DTEND;VALUE=DATE:20270325\r\nSUMMARY:Hemmeligt\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with db.session(write=True) as s:
        c = s.get(Consultant, w.consultant_ids[0])
        assert c is not None
        c.absence_source = str(ics)
        s.add(c)
    with db.session() as s:
        slots = bk.find_slots(session=s, company_id=w.company_id, now=NOW, limit=1)
    assert slots[0].day == dt.date(2027, 3, 30)
    with pytest.raises(BookingRefused) as info:
        bk.book_visit(
            db=db,
            company_id=w.company_id,
            consultant_id=w.consultant_ids[0],
            start=at("2027-03-24", "09:00"),
            booked_by="t",
            now=NOW,
        )
    assert info.value.rule == Rule.ABSENCE and "Hemmeligt" not in str(info.value)


# --------------------------------------------------------------------------- concurrency


def _racer(url: str, company_id: int, consultant_id: int, start: str, q: mp.Queue) -> None:
    db = Database(make_engine(url))
    try:
        bk.book_visit(
            db=db,
            company_id=company_id,
            consultant_id=consultant_id,
            start=dt.datetime.fromisoformat(start),
            booked_by=f"p{company_id}",
            now=NOW,
        )
        q.put("ok")
    except BookingRefused as exc:
        q.put(exc.rule.value)
    except Exception as exc:  # pragma: no cover - reported to the parent
        q.put(f"error: {exc!r}")
    finally:
        db.dispose()


@pytest.mark.slow
def test_parallel_phoners_never_double_book(db: Database, db_url: str) -> None:
    """Four processes book the same consultant at overlapping times; exactly one wins."""
    w = make_world(db, consultants=1)
    cid = w.consultant_ids[0]
    with db.session(write=True) as s:
        from phoner.core.models import Company

        extra = [
            Company(campaign_id=w.campaign_id, jobcenter_id=w.jobcenter_id, name=f"Firma {i}")
            for i in range(2)
        ]
        s.add_all(extra)
        s.flush()
        companies = [w.company_id, w.other_company_id, *(c.id for c in extra)]
    starts = [at("2027-03-24", t) for t in ("09:00", "09:30", "09:00", "10:15")]
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    procs = [
        ctx.Process(target=_racer, args=(db_url, co, cid, st_.isoformat(), q))
        for co, st_ in zip(companies, starts, strict=True)
    ]
    for p in procs:
        p.start()
    results = [q.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert results.count("ok") == 1, results
    assert all(r in {"ok", Rule.OVERLAP.value} for r in results), results
    with db.session() as s:
        booked = s.exec(select(Booking).where(Booking.consultant_id == cid)).all()
    assert len(booked) == 1


def test_absence_url_is_read_and_unreachable_url_blocks(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    loopback = AbsencePolicy(allow_http=True, trusted_hosts=frozenset({"127.0.0.1"}))
    monkeypatch.setattr(absence_sources, "_override", loopback)
    import http.server
    import threading

    from phoner.core.consultants import ABSENCE_CACHE

    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\n"
        b"DTSTAMP:20270101T000000Z\r\nDTSTART;VALUE=DATE:20270324\r\n"
        b"DTEND;VALUE=DATE:20270325\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ABSENCE_CACHE.clear()
    try:
        w = make_world(sqlite_db, consultants=2)
        url = f"http://127.0.0.1:{server.server_address[1]}/fravaer.ics"
        with sqlite_db.session(write=True) as s:
            c0 = s.get(Consultant, w.consultant_ids[0])
            c1 = s.get(Consultant, w.consultant_ids[1])
            assert c0 is not None and c1 is not None
            c0.absence_source = url
            c1.absence_source = "http://127.0.0.1:9/ingen.ics"  # nothing listens here
            s.add_all([c0, c1])
        with sqlite_db.session() as s:
            slots = bk.find_slots(session=s, company_id=w.company_id, now=NOW, limit=20)
        assert slots and all(x.consultant_id == w.consultant_ids[0] for x in slots)
        assert slots[0].day == dt.date(2027, 3, 30)  # absent all of Wednesday 24 March
        with pytest.raises(BookingRefused) as info:
            bk.book_visit(
                db=sqlite_db,
                company_id=w.company_id,
                consultant_id=w.consultant_ids[1],
                start=at("2027-03-30", "09:00"),
                booked_by="t",
                now=NOW,
            )
        assert info.value.rule == Rule.ABSENCE and "kan ikke læses" in str(info.value)
    finally:
        server.shutdown()
        ABSENCE_CACHE.clear()


def test_feed_status_seen_and_unseen(db: Database) -> None:
    w = make_world(db, consultants=1)
    cid = w.consultant_ids[0]
    with db.session() as s:
        rows = {r.consultant.id: r for r in feeds.feed_status(session=s, now=NOW)}
    assert rows[cid].last_fetch is None and rows[cid].needs_chasing and rows[cid].unseen == 0
    bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=cid,
        start=at("2027-03-30", "09:00"),
        booked_by="t",
        now=NOW,
    )
    with db.session(write=True) as s:
        c = s.get(Consultant, cid)
        assert c is not None
        c.last_feed_fetch_at = NOW + dt.timedelta(minutes=10)
        s.add(c)
    with db.session() as s:
        st = {r.consultant.id: r for r in feeds.feed_status(session=s, now=NOW)}[cid]
    assert (st.upcoming, st.unseen, st.needs_chasing) == (1, 0, False)
    b2 = bk.book_visit(
        db=db,
        company_id=w.other_company_id,
        consultant_id=cid,
        start=at("2027-03-31", "09:00"),
        booked_by="t",
        now=NOW + dt.timedelta(minutes=20),
    )
    with db.session() as s:
        st = {r.consultant.id: r for r in feeds.feed_status(session=s, now=NOW)}[cid]
    assert (st.upcoming, st.unseen, st.next_unseen) == (2, 1, b2.start)
    assert st.needs_chasing


def test_feed_shows_question_and_answer_texts(db: Database, tmp_path: Path) -> None:
    """A visit booked after a scripted call shows the script's question and answer texts and
    the needs labels in its calendar event, frozen at booking time (later script edits do
    not change it); an unreadable script falls back to the keys."""
    import icalendar

    from phoner.core.campaigns import script_hash
    from phoner.core.models import CallAttempt, Campaign

    script = tmp_path / "fleksjob.toml"
    script.write_bytes((Path(__file__).parents[2] / "scripts" / "fleksjob.toml").read_bytes())
    w = make_world(db)
    with db.session(write=True) as s:
        camp = s.get(Campaign, w.campaign_id)
        assert camp is not None
        camp.script_path = str(script)
        camp.script_hash = script_hash(script)
        s.add(camp)
        attempt = s.get(CallAttempt, w.attempt_id)
        assert attempt is not None
        attempt.answers = {"rette_person": "1", "kontakt": "3"}
        attempt.needs = {"jobtype": "Rengøring", "timer_pr_uge": 10, "ukendt_felt": "x"}
        attempt.script_hash = camp.script_hash
        s.add(attempt)
    with db.session() as s:
        slot = bk.find_slots(session=s, company_id=w.company_id, now=NOW, limit=1)[0]
    b = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=slot.consultant_id,
        start=slot.start,
        booked_by="telefonist1",
        attempt_id=w.attempt_id,
        now=NOW,
    )
    # the script changes afterwards: the booked visit keeps the texts of the call
    script.write_text(script.read_text(encoding="utf-8").replace("Nej, ingen af delene", "Nej"))

    def description(consultant_id: int) -> str:
        with db.session() as s:
            cons = s.get(Consultant, consultant_id)
            assert cons is not None
            body = feeds.consultant_feed(session=s, consultant=cons).body
        events = icalendar.Calendar.from_ical(body).walk("VEVENT")
        assert len(events) == 1
        return str(events[0]["DESCRIPTION"])

    text = description(b.consultant_id)
    assert (
        "Har I allerede medarbejdere i fleksjob, eller samarbejder I allerede med "
        "jobcentrets virksomhedskonsulenter? — Nej, ingen af delene" in text
    )
    assert "Taler jeg med den, der tager sig af ansættelser og personale hos jer? — " in text
    assert "Jobtype/funktion: Rengøring" in text and "Timer pr. uge: 10" in text
    assert "ukendt felt: x" in text
    assert "kontakt: 3" not in text
    # another version of the script than the call's, or no script at all: the keys
    with db.session() as s:
        camp = s.get(Campaign, w.campaign_id)
        assert camp is not None
        assert answers.script_for(camp, "0" * 64, None) is None  # edited since the call
        assert answers.script_for(camp, None, None) is not None
        camp.script_path = str(tmp_path / "findes-ikke.toml")
        assert answers.script_for(camp, None, None) is None
        row = feeds.feed_rows(session=s)[b.consultant_id][0]
    keys_only = {"answers": {"kontakt": "3"}, "needs": {"jobtype": "x"}}
    fallback = feeds.event_description(dataclasses.replace(row, details=keys_only))
    assert "kontakt: 3" in fallback and "jobtype: x" in fallback

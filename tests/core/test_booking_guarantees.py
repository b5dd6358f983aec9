"""No double booking held by the database (issue 15), on SQLite and PostgreSQL.

The "allerede booket" rule and the consultant overlap rule are checked inside the write
transaction, but two phoners booking the same company with *different* consultants lock
different rows: on PostgreSQL both checks used to pass and the company got two live
visits. The partial unique index (one live booking per company and campaign) and, on
PostgreSQL, the exclusion constraint on a consultant's time make the database refuse
the second insert; the service turns that refusal into the usual Danish message.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import secrets
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from phoner.core.booking import service, writes
from phoner.core.booking.rules import BookingRefused, Rule
from phoner.core.clock import local_to_utc
from phoner.core.db import Database
from phoner.core.models import Booking, BookingStatus, CancelReason, Company, UTCDateTime
from phoner.core.workdays import is_working_day
from tests.support.booking import NOW, at, make_world

# Keep this module's imports light: every forked worker re-imports it to find _racer.

RACERS = 4
COMPANIES = 20


def _raw_booking(
    campaign_id: int, company_id: int, consultant_id: int, start: dt.datetime
) -> Booking:
    return Booking(
        uid=f"{secrets.token_hex(8)}@phoner",
        campaign_id=campaign_id,
        company_id=company_id,
        consultant_id=consultant_id,
        start=start,
        end=start + dt.timedelta(hours=1),
        blocked_end=start + dt.timedelta(minutes=90),
        booked_by="test",
    )


# --------------------------------------------------------------------------- the constraints


def test_database_refuses_a_second_live_booking_of_a_company(db: Database) -> None:
    w = make_world(db)
    c1, c2 = w.consultant_ids
    with Session(db.engine) as s:  # past the service: the database alone must refuse
        s.add(_raw_booking(w.campaign_id, w.company_id, c1, at("2027-03-24", "09:00")))
        s.commit()
        s.add(_raw_booking(w.campaign_id, w.company_id, c2, at("2027-03-30", "13:00")))
        with pytest.raises(IntegrityError):
            s.commit()


def test_cancelled_and_ended_bookings_do_not_count(db: Database) -> None:
    w = make_world(db)
    c1, c2 = w.consultant_ids
    with Session(db.engine) as s:
        first = _raw_booking(w.campaign_id, w.company_id, c1, at("2027-03-24", "09:00"))
        first.status = BookingStatus.CANCELLED  # live stays true: cancelled never counts
        s.add(first)
        ended = _raw_booking(w.campaign_id, w.company_id, c1, at("2027-03-31", "09:00"))
        ended.live = False
        s.add(ended)
        s.add(_raw_booking(w.campaign_id, w.company_id, c2, at("2027-03-30", "13:00")))
        s.add(_raw_booking(w.campaign_id, w.other_company_id, c1, at("2027-03-30", "13:00")))
        s.commit()


@pytest.mark.postgres
def test_postgres_refuses_overlapping_time_of_one_consultant(pg_db: Database) -> None:
    w = make_world(pg_db)
    c1, _c2 = w.consultant_ids
    with Session(pg_db.engine) as s:
        s.add(_raw_booking(w.campaign_id, w.company_id, c1, at("2027-03-24", "09:00")))
        s.commit()
        # 10:15 is after the visit (10:00) but inside its 30 minutes' travel buffer
        s.add(_raw_booking(w.campaign_id, w.other_company_id, c1, at("2027-03-24", "10:15")))
        with pytest.raises(IntegrityError, match="ex_booking_consultant_time"):
            s.commit()
        s.rollback()
        # outside the buffer is fine
        s.add(_raw_booking(w.campaign_id, w.other_company_id, c1, at("2027-03-24", "10:30")))
        s.commit()


def test_migration_keeps_the_first_of_a_double_booking_live(db: Database) -> None:
    """A database the race already hit upgrades: the first future visit per company stays
    live, a later duplicate is left booked but not live, an ended visit is not live."""
    from alembic import command

    from phoner.core.db import alembic_config

    w = make_world(db)
    c1, c2 = w.consultant_ids
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    rows = [  # (consultant, start): ended, first future, its duplicate with another consultant
        (c1, past),
        (c1, future),
        (c2, future),
    ]
    with Session(db.engine) as s:
        for consultant_id, start in rows:
            b = _raw_booking(w.campaign_id, w.company_id, consultant_id, start)
            s.execute(
                sa.text(
                    "INSERT INTO booking (uid, campaign_id, company_id, consultant_id, start,"
                    ' "end", status, sequence, booked_by, created_at, modified_at, details)'
                    " VALUES (:uid, :campaign, :company, :consultant, :start, :end, 'booked', 0,"
                    " 'x', :start, :start, '{}')"
                ).bindparams(
                    sa.bindparam("start", type_=UTCDateTime()),
                    sa.bindparam("end", type_=UTCDateTime()),
                ),
                {
                    "uid": b.uid,
                    "campaign": b.campaign_id,
                    "company": b.company_id,
                    "consultant": b.consultant_id,
                    "start": b.start,
                    "end": b.end,
                },
            )
        s.commit()
    db.upgrade()
    with db.session() as s:
        live = s.exec(select(Booking.consultant_id, Booking.live).order_by(col(Booking.id))).all()
    assert [tuple(r) for r in live] == [(c1, False), (c1, True), (c2, False)]


# --------------------------------------------------------------------------- the service


def test_an_ended_visit_does_not_stop_the_next_booking(db: Database) -> None:
    """A company whose visit has taken place may be booked again (the old one stops
    being live), as before the unique index."""
    w = make_world(db)
    c1, c2 = w.consultant_ids
    first = service.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c1,
        start=at("2027-03-24", "09:00"),
        booked_by="t1",
        now=NOW,
    )
    later = at("2027-03-24", "12:00")
    second = service.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c2,
        start=at("2027-03-31", "09:00"),
        booked_by="t1",
        now=later,
    )
    with db.session() as s:
        old = s.get(Booking, first.id)
        assert old is not None and old.status == BookingStatus.BOOKED and not old.live
        new = s.get(Booking, second.id)
        assert new is not None and new.live


def test_moving_to_another_consultant_keeps_one_live_booking(db: Database) -> None:
    w = make_world(db)
    c1, c2 = w.consultant_ids
    b = service.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c1,
        start=at("2027-03-24", "09:00"),
        booked_by="t1",
        now=NOW,
    )
    moved = service.move_booking(
        db=db,
        booking_id=b.id,
        start=at("2027-03-30", "11:00"),
        actor="t1",
        consultant_id=c2,
        now=NOW,
    )
    with db.session() as s:
        booked = s.exec(select(Booking.id).where(Booking.status == BookingStatus.BOOKED)).all()
    assert booked == [moved.id]
    again = service.cancel_booking(
        db=db, booking_id=moved.id, reason=CancelReason.COMPANY_CANCELLED, actor="t1", now=NOW
    )
    assert again.status == BookingStatus.CANCELLED
    rebooked = service.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c1,
        start=at("2027-03-31", "09:00"),
        booked_by="t1",
        now=NOW,
    )
    assert rebooked.status == BookingStatus.BOOKED


def test_a_lost_race_is_the_usual_refusal(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rival's booking commits between our check and our insert (the check is made
    to miss it once): the database refuses, and the caller gets the same BookingRefused
    as when the check sees the rival."""
    w = make_world(db)
    c1, c2 = w.consultant_ids
    rival = service.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c1,
        start=at("2027-03-24", "09:00"),
        booked_by="rival",
        now=NOW,
    )
    request = dict(
        db=db,
        company_id=w.company_id,
        consultant_id=c2,
        start=at("2027-03-30", "13:00"),
        booked_by="t2",
        now=NOW,
    )
    with pytest.raises(BookingRefused) as usual:
        service.book_visit(**request)  # type: ignore[arg-type]
    real = writes._company_booked
    calls: list[int] = []

    def blind_once(*args: Any, **kwargs: Any) -> Booking | None:
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(writes, "_company_booked", blind_once)
    with pytest.raises(BookingRefused) as raced:
        service.book_visit(**request)  # type: ignore[arg-type]
    assert len(calls) == 2  # the database refused the first try; the second saw the rival
    assert raced.value.rule == usual.value.rule == Rule.COMPANY_BOOKED
    assert str(raced.value) == str(usual.value)
    assert f"(nr. {rival.id})" in str(raced.value)
    with db.session() as s:
        assert len(s.exec(select(Booking)).all()) == 1


# --------------------------------------------------------------------------- processes


def _racer(url: str, racer: int, plan: list[list[Any]], barrier: Any, out: str) -> None:
    """Book every company of ``plan`` ([company id, consultant ids, start]) with this
    racer's consultant, starting each on the barrier together with the other racers."""
    from phoner.core.booking.service import book_visit
    from phoner.core.db import open_database
    from phoner.core.errors import PhonerError

    db = open_database(url, check=False)
    results: list[str] = []
    try:
        for company_id, consultant_ids, start in plan:
            barrier.wait()
            try:
                book_visit(
                    db=db,
                    company_id=company_id,
                    consultant_id=consultant_ids[racer],
                    start=dt.datetime.fromisoformat(start),
                    booked_by=f"racer{racer}",
                    now=NOW,
                )
                results.append("ok")
            except BookingRefused as exc:
                results.append(exc.rule.value)
            except PhonerError as exc:
                results.append(f"{type(exc).__name__}: {exc}")
    finally:
        db.dispose()
        Path(out).write_text(json.dumps(results))


def _starts(n: int) -> list[dt.datetime]:
    """``n`` visit times a consultant can take one after another (3 a day from 24 March)."""
    out: list[dt.datetime] = []
    day = dt.date(2027, 3, 24)
    while len(out) < n:
        if is_working_day(day):
            out.extend(local_to_utc(day, dt.time(h)) for h in (9, 11, 13))
        day += dt.timedelta(days=1)
    return out[:n]


@pytest.mark.slow
def test_processes_booking_one_company_with_different_consultants(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """Four processes book the same company at the same instant, each with its own
    consultant, for 20 companies: each company gets exactly one visit and the other
    three phoners the "allerede booket" refusal."""
    w = make_world(db, consultants=RACERS)
    with db.session(write=True) as s:
        extra = [
            Company(campaign_id=w.campaign_id, jobcenter_id=w.jobcenter_id, name=f"Firma {i}")
            for i in range(COMPANIES - 2)
        ]
        s.add_all(extra)
        s.flush()
        companies = [w.company_id, w.other_company_id, *(c.id for c in extra)]
    plan = [
        [company_id, w.consultant_ids, start.isoformat()]
        for company_id, start in zip(companies, _starts(COMPANIES), strict=True)
    ]
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    barrier = ctx.Barrier(RACERS, timeout=60)
    outs = [tmp_path / f"r{i}.json" for i in range(RACERS)]
    procs = [
        ctx.Process(target=_racer, args=(db_url, i, plan, barrier, str(outs[i])))
        for i in range(RACERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    results = [json.loads(o.read_text()) for o in outs]
    for n, company_id in enumerate(companies):
        per_company = Counter(r[n] for r in results)
        assert per_company == {"ok": 1, Rule.COMPANY_BOOKED.value: RACERS - 1}, (
            company_id,
            per_company,
        )
    with db.session() as s:
        booked = s.exec(select(Booking.company_id).where(Booking.status == BookingStatus.BOOKED))
        assert Counter(booked.all()) == dict.fromkeys(companies, 1)

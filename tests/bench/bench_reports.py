"""Reports on a large campaign: 100,000 companies and 400,000 calls (target: each < 1 s).

The synthetic campaign is inserted with bulk inserts (executemany), so building it takes
seconds, not minutes. Set ``PHONER_BENCH_POSTGRES_URL`` to run the same on PostgreSQL too.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import insert, select

from phoner.core import geography, reports
from phoner.core.db import Database, make_engine
from phoner.core.models import (
    Agreement,
    AgreementCategory,
    Booking,
    BookingStatus,
    CallAttempt,
    CallState,
    Campaign,
    CampaignJobcenter,
    ClearingState,
    Company,
    Consultant,
    FollowUp,
    FollowUpKind,
    Jobcenter,
    MeetingStatus,
    Outcome,
    Round,
    RoundState,
    VisitResult,
)
from phoner.core.reports.dashboard import dashboard
from phoner.core.reports.leads import leads_report
from phoner.formats.report_output import write_xlsx
from tests.support.bench import Bench, stopwatch

MUNICIPALITIES = [
    "Aalborg", "Herning", "Aarhus", "Odense", "Esbjerg", "Bornholm", "København", "Ringsted",
    "Køge", "Roskilde", "Randers", "Viborg",
]  # fmt: skip
OUTCOME_WEIGHTS = [
    (Outcome.VIL_KONTAKTES, 10),
    (Outcome.IKKE_INTERESSERET, 35),
    (Outcome.HAR_FLEKSJOBBERE, 8),
    (Outcome.HAR_KONTAKT, 7),
    (Outcome.IKKE_TRUFFET, 25),
    (Outcome.OPTAGET, 5),
    (Outcome.RING_TILBAGE, 5),
    (Outcome.FORKERT_NUMMER, 3),
    (Outcome.LUKKET, 2),
]
NOT_FINAL = [Outcome.IKKE_TRUFFET, Outcome.OPTAGET, Outcome.RING_TILBAGE]


def build(db: Database, n_companies: int, n_attempts: int, seed: int = 6) -> int:
    """Insert a synthetic campaign; returns its id."""
    rng = random.Random(seed)
    t0 = dt.datetime(2026, 9, 1, 7, 0, tzinfo=dt.UTC)
    outcomes, weights = zip(*OUTCOME_WEIGHTS, strict=True)
    with db.session(write=True) as s:
        campaign = Campaign(name="Bench", script_path="scripts/fleksjob.toml", script_hash="x")
        s.add(campaign)
        jcs = [
            Jobcenter(name=f"Jobcenter {m}", municipality=m, rar_area=geography.rar_area(m))
            for m in MUNICIPALITIES
        ]
        s.add_all(jcs)
        s.flush()
        assert campaign.id is not None
        cid = campaign.id
        jc_ids = [j.id for j in jcs if j.id is not None]
        s.add_all(CampaignJobcenter(campaign_id=cid, jobcenter_id=j) for j in jc_ids)
        consultants = [
            Consultant(
                name=f"Konsulent {i}",
                email=f"k{i}@bench.dk",
                jobcenter_id=jc_ids[i % len(jc_ids)],
                feed_token=secrets.token_hex(8),
            )
            for i in range(len(jc_ids) * 4)
        ]
        s.add_all(consultants)
        n_rounds = max(1, n_companies // 4000)
        rounds = [
            Round(campaign_id=cid, number=i + 1, state=RoundState.ACTIVE) for i in range(n_rounds)
        ]
        s.add_all(rounds)
        s.flush()
        k_by_jc: dict[int, list[int]] = {}
        for k in consultants:
            assert k.id is not None
            k_by_jc.setdefault(k.jobcenter_id, []).append(k.id)
        round_ids = [r.id for r in rounds]
        now = dt.datetime.now(dt.UTC)
        first_id = (s.exec(select(sa.func.max(Company.id))).one() or 0) + 1
        companies: list[dict[str, Any]] = []
        finals: list[Outcome | None] = []
        for i in range(n_companies):
            final = rng.choices(outcomes, weights)[0]
            finals.append(final)
            companies.append(
                {
                    "campaign_id": cid,
                    "jobcenter_id": jc_ids[i % len(jc_ids)],
                    "round_id": round_ids[i * n_rounds // n_companies],
                    "cvr": None,
                    "name": f"Virksomhed {i}",
                    "phones": [],
                    "extra": {},
                    "flags": [],
                    "ad_protected": False,
                    "clearing_state": ClearingState.KEEP,
                    "call_state": CallState.DONE,
                    "attempts": 0,
                    "last_outcome": final,
                    "final_outcome": final if final not in NOT_FINAL else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        s.execute(insert(Company), companies)
        attempts: list[dict[str, Any]] = []
        midnight = t0.replace(hour=0)
        weekdays = [
            midnight + dt.timedelta(days=d)
            for d in range(90)
            if (midnight + dt.timedelta(days=d)).weekday() < 5
        ]
        for j in range(n_attempts):
            i = j % n_companies
            last = j + n_companies >= n_attempts
            outcome = finals[i] if last else rng.choice(NOT_FINAL)
            # a working day's calling hours (09:00-16:00 Danish summer time)
            day = weekdays[rng.randrange(len(weekdays))]
            ended = day + dt.timedelta(hours=7, minutes=rng.randrange(0, 7 * 60))
            attempts.append(
                {
                    "company_id": first_id + i,
                    "campaign_id": cid,
                    "round_id": companies[i]["round_id"],
                    "phoner": f"tlf{rng.randrange(12)}",
                    "started_at": ended - dt.timedelta(minutes=3),
                    "ended_at": ended,
                    "outcome": outcome,
                    "answers": {},
                    "needs": {},
                    "source": "import",
                }
            )
            if len(attempts) >= 50_000:
                s.execute(insert(CallAttempt), attempts)
                attempts = []
        if attempts:
            s.execute(insert(CallAttempt), attempts)
        # bookings for half of the vil_kontaktes, follow-ups for the rest
        bookings: list[dict[str, Any]] = []
        followups: list[dict[str, Any]] = []
        for i, final in enumerate(finals):
            if final != Outcome.VIL_KONTAKTES:
                continue
            jc = companies[i]["jobcenter_id"]
            start = t0 + dt.timedelta(days=rng.randrange(5, 100), hours=2)
            if i % 2:
                bookings.append(
                    {
                        "uid": secrets.token_hex(12),
                        "campaign_id": cid,
                        "company_id": first_id + i,
                        "consultant_id": rng.choice(k_by_jc[jc]),
                        "start": start,
                        "end": start + dt.timedelta(hours=1),
                        "status": BookingStatus.BOOKED,
                        "sequence": 0,
                        "booked_by": f"tlf{rng.randrange(12)}",
                        "created_at": start - dt.timedelta(days=10),
                        "modified_at": start - dt.timedelta(days=10),
                        "details": {},
                    }
                )
            else:
                done = rng.random() < 0.7
                followups.append(
                    {
                        "campaign_id": cid,
                        "company_id": first_id + i,
                        "consultant_id": rng.choice(k_by_jc[jc]),
                        "kind": FollowUpKind.CALL_COMPANY,
                        "description": "Ring",
                        "due_date": start.date(),
                        "created_at": start - dt.timedelta(days=5),
                        "done_at": start if done else None,
                    }
                )
        s.execute(insert(Booking), bookings)
        s.execute(insert(FollowUp), followups)
        booking_ids = s.exec(select(Booking.id).where(Booking.campaign_id == cid)).all()
        statuses = list(MeetingStatus)
        results = [
            {
                "booking_id": bid,
                "status": MeetingStatus.AFHOLDT if rng.random() < 0.75 else rng.choice(statuses),
                "registered_by": "bench",
                "registered_at": now,
            }
            for bid in booking_ids
            if rng.random() < 0.8
        ]
        s.execute(insert(VisitResult), results)
        result_ids = s.exec(
            select(VisitResult.id).where(VisitResult.status == MeetingStatus.AFHOLDT)
        ).all()
        cats = list(AgreementCategory)
        s.execute(
            insert(Agreement),
            [
                {"visit_result_id": rid, "category": c, "count": rng.randint(1, 3)}
                for rid in result_ids
                for c in rng.sample(cats, 2)
            ],
        )
    # as `phoner lists import` / `outcomes import` do after a bulk load
    db.refresh_statistics()
    return cid


def _run_on(bench: Bench, db: Database, label: str) -> None:
    n_companies = bench.size(100_000, 2_000)
    n_attempts = bench.size(400_000, 8_000)
    with stopwatch() as elapsed:
        cid = build(db, n_companies, n_attempts)
    bench.figure(
        f"reports[{label}]: build {n_companies:,} companies / {n_attempts:,} calls",
        elapsed(),
        "s",
    )
    with db.session() as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None
        for name in ("rounds", "rates", "followups", "visits", "phoners"):
            with stopwatch() as elapsed:
                reports.build_report(name, session=s, campaign=campaign)
            bench.figure(
                f"reports[{label}]: phoner report {name}",
                elapsed() * 1000,
                "ms",
                target="< 1000 ms",
            )
        with stopwatch() as elapsed:
            leads = leads_report(session=s, campaign=campaign)
            with tempfile.TemporaryDirectory() as out:
                write_xlsx(leads, Path(out) / "leads.xlsx")
        bench.figure(
            f"reports[{label}]: phoner export leads ({leads.data['total']:,} companies, xlsx)",
            elapsed(),
            "s",
        )
        with stopwatch() as elapsed:
            dashboard(session=s, campaign=campaign)
        bench.figure(
            f"reports[{label}]: dashboard summary", elapsed() * 1000, "ms", target="< 1000 ms"
        )


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        db.upgrade()
        try:
            _run_on(bench, db, "sqlite")
        finally:
            db.dispose()
    pg = os.environ.get("PHONER_BENCH_POSTGRES_URL")
    if pg:
        from tests.support.postgres import reset_postgres

        db = reset_postgres(pg)
        try:
            _run_on(bench, db, "postgres")
        finally:
            db.dispose()

"""The calling queue: next company + record outcome on a campaign of 100,000 companies.

Figures: median and p95 latency of ``claim_next`` and ``record_outcome`` for one phoner,
the same under 8 concurrent phoner processes on one SQLite file, and claims per second;
the same on PostgreSQL when ``PHONER_BENCH_POSTGRES_URL`` names a scratch database.
The campaign is realistic-ish: a tenth of the companies wait for a retry in the future
and a few callbacks are due, so every queue of the claim query is exercised.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from phoner.core.db import Database, make_engine
from phoner.core.models import Outcome
from phoner.core.queue.claims import claim_next
from phoner.core.queue.outcomes import record_outcome
from tests.support.bench import Bench, percentiles

REPO = Path(__file__).resolve().parents[2]
#: A scratch PostgreSQL database (emptied!) to measure the queue there too.
PG_ENV = "PHONER_BENCH_POSTGRES_URL"
OUTCOMES = [Outcome.IKKE_TRUFFET, Outcome.OPTAGET, Outcome.IKKE_INTERESSERET, Outcome.HAR_KONTAKT]


def _build(url: str, n: int) -> int:
    from tests.support.worlds import make_campaign

    db = Database(make_engine(url))
    db.upgrade()
    setup = make_campaign(db, n, name="Bench", bulk=True, consultant=False)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE company SET call_state = 'retry', attempts = 1, next_call_at = :t "
                "WHERE id % 10 = 0"
            ),
            {"t": future.replace(tzinfo=None) if db.is_sqlite else future},
        )
        conn.execute(
            sa.text(
                "UPDATE company SET call_state = 'callback', attempts = 1, next_call_at = :t, "
                "callback_phoner = 'someone' WHERE id % 1000 = 7"
            ),
            {"t": past.replace(tzinfo=None) if db.is_sqlite else past},
        )
        if not db.is_sqlite:
            conn.execute(sa.text("ANALYZE company"))
    db.dispose()
    return setup.campaign_id


def _work(db: Database, campaign_id: int, phoner: str, ops: int) -> dict[str, Any]:
    rng = random.Random(phoner)
    claims: list[float] = []
    records: list[float] = []
    started = time.perf_counter()
    for _ in range(ops):
        t0 = time.perf_counter()
        claim = claim_next(db=db, campaign_id=campaign_id, phoner=phoner, ignore_hours=True)
        t1 = time.perf_counter()
        if claim is None:
            break
        record_outcome(
            db=db,
            company_id=claim.company_id,
            lease_token=claim.lease_token,
            phoner=phoner,
            outcome=rng.choice(OUTCOMES),
            answers={"rette_person": "1", "kontakt": "3"},
            needs={"jobtype": "Rengøring", "timer_pr_uge": 6},
            note="bench",
        )
        t2 = time.perf_counter()
        claims.append((t1 - t0) * 1000)
        records.append((t2 - t1) * 1000)
    return {"claims": claims, "records": records, "seconds": time.perf_counter() - started}


def _worker(url: str, campaign_id: int, phoner: str, ops: int, barrier: Any, out: str) -> None:
    db = Database(make_engine(url))
    _work(db, campaign_id, phoner, 3)  # warm up the connection and statement caches
    barrier.wait()
    result = _work(db, campaign_id, phoner, ops)
    db.dispose()
    Path(out).write_text(json.dumps(result))


def _measure(bench: Bench, label: str, url: str, ws: Path) -> None:
    n = bench.size(100_000, 1_000)
    ops = bench.size(400, 20)
    procs = bench.size(8, 2)
    per_proc = bench.size(150, 10)
    t0 = time.perf_counter()
    campaign_id = _build(url, n)
    bench.figure(
        f"queue: build campaign of {n:,} companies ({label})", time.perf_counter() - t0, "s"
    )

    db = Database(make_engine(url))
    _work(db, campaign_id, "warmup", 3)
    single = _work(db, campaign_id, "Anne", ops)
    db.dispose()
    for name, samples in (
        ("next company", single["claims"]),
        ("record outcome", single["records"]),
    ):
        med, p95 = percentiles(samples)
        bench.figure(f"queue: {name}, 1 phoner, {n:,} companies, {label} (median)", med, "ms")
        bench.figure(
            f"queue: {name}, 1 phoner, {n:,} companies, {label} (p95)",
            p95,
            "ms",
            target="< 50 ms",
        )
    both = [c + r for c, r in zip(single["claims"], single["records"], strict=True)]
    bench.figure(
        f"queue: next + record, 1 phoner, {label} (p95)",
        percentiles(both)[1],
        "ms",
        target="< 50 ms",
    )
    bench.figure(
        f"queue: claims per second, 1 phoner, {label}", len(both) / single["seconds"], "/s"
    )

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    barrier = ctx.Barrier(procs + 1, timeout=120)
    outs = [ws / f"{label}-w{i}.json" for i in range(procs)]
    workers = [
        ctx.Process(
            target=_worker,
            args=(url, campaign_id, f"phoner{i}", per_proc, barrier, str(outs[i])),
        )
        for i in range(procs)
    ]
    for w in workers:
        w.start()
    barrier.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join(timeout=300)
    wall = time.perf_counter() - t0
    results = [json.loads(o.read_text()) for o in outs if o.exists()]
    claims = [x for r in results for x in r["claims"]]
    records = [x for r in results for x in r["records"]]
    if not claims:
        print("no results from the concurrent workers", file=sys.stderr)
        return
    for name, samples in (("next company", claims), ("record outcome", records)):
        med, p95 = percentiles(samples)
        bench.figure(f"queue: {name}, {procs} processes, {label} (median)", med, "ms")
        bench.figure(
            f"queue: {name}, {procs} processes, {label} (p95)", p95, "ms", target="< 50 ms"
        )
    bench.figure(f"queue: claims per second, {procs} processes, {label}", len(claims) / wall, "/s")


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        shutil.copytree(REPO / "scripts", ws / "scripts")
        _measure(bench, "SQLite", f"sqlite:///{ws / 'bench.db'}", ws)
        pg = os.environ.get(PG_ENV)
        if pg:
            from tests.support.postgres import reset_postgres

            reset_postgres(pg).dispose()
            _measure(bench, "PostgreSQL", pg, ws)
        else:
            print(f"(PostgreSQL figures skipped: set {PG_ENV} to a scratch database URL)")

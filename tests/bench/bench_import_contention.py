"""Phoners during a big list import (issue 15): claim + record latency while it runs.

Several phoner processes call a signed-off part of a campaign (claim the next company,
record an outcome, a short pause, again) on one SQLite file, first alone (the baseline)
and then while ``phoner list import`` brings 100,000 new companies for another jobcenter
into the same campaign, the way the CLI runs it. Figures: the phoners' p95 (and worst)
latency of claim + record without and during the import, their ratio, the failed
operations ("Databasen er optaget"), and the import's own time under contention.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from phoner.core.db import Database, make_engine
from phoner.core.errors import PhonerError
from phoner.core.lists.import_run import run_import
from phoner.core.models import Outcome
from phoner.core.queue.claims import claim_next
from phoner.core.queue.outcomes import record_outcome
from tests.support.bench import Bench, percentiles
from tests.support.listfiles import company_rows as _rows
from tests.support.listfiles import write_company_csv as _write_csv

REPO = Path(__file__).resolve().parents[2]
OUTCOMES = [Outcome.IKKE_TRUFFET, Outcome.OPTAGET, Outcome.IKKE_INTERESSERET]
THINK_SECONDS = 0.02  # a phoner's pause between two calls (far shorter than a real call)


def _build(url: str, n: int) -> int:
    from tests.support.worlds import make_campaign

    db = Database(make_engine(url))
    db.upgrade()
    setup = make_campaign(db, n, name="Bench", bulk=True, consultant=False)
    db.dispose()
    return setup.campaign_id


def _call(db: Database, campaign_id: int, phoner: str, rng: random.Random) -> bool:
    """One call's database work: claim the next company, record an outcome."""
    claim = claim_next(db=db, campaign_id=campaign_id, phoner=phoner, ignore_hours=True)
    if claim is None:
        return False
    record_outcome(
        db=db,
        company_id=claim.company_id,
        lease_token=claim.lease_token,
        phoner=phoner,
        outcome=rng.choice(OUTCOMES),
        answers={"rette_person": "1", "kontakt": "3"},
        needs={},
        note="bench",
    )
    return True


def _phoner(url: str, campaign_id: int, phoner: str, stop: Any, start: Any, out: str) -> None:
    """Claim + record until ``stop`` is set: the latency (ms) of each, and the failures.

    A failed operation (the database stayed busy past the timeout) counts with the time
    the phoner waited for it.
    """
    db = Database(make_engine(url))
    rng = random.Random(phoner)
    for _ in range(3):  # warm up the connection and statement caches
        _call(db, campaign_id, phoner, rng)
    start.wait()
    samples: list[float] = []
    failed = 0
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            if not _call(db, campaign_id, phoner, rng):
                break
        except PhonerError:
            failed += 1
        samples.append((time.perf_counter() - t0) * 1000)
        time.sleep(THINK_SECONDS)
    db.dispose()
    Path(out).write_text(json.dumps({"samples": samples, "failed": failed}))


def _import(url: str, path: Path) -> float:
    """The import as ``phoner list import`` runs it (in batches); returns its seconds."""
    db = Database(make_engine(url))
    t0 = time.perf_counter()
    summary = run_import(db=db, campaign="Bench", path=path, jobcenter="Køge")
    took = time.perf_counter() - t0
    assert summary.imported > 0
    db.dispose()
    return took


def _round(
    ctx: Any, url: str, campaign_id: int, procs: int, ws: Path, tag: str, work: Any
) -> tuple[list[float], int, float]:
    """Run ``procs`` phoners while ``work()`` runs; their samples, failures, work's value."""
    stop, start = ctx.Event(), ctx.Barrier(procs + 1, timeout=120)
    outs = [ws / f"{tag}-{i}.json" for i in range(procs)]
    workers = [
        ctx.Process(target=_phoner, args=(url, campaign_id, f"{tag}{i}", stop, start, str(o)))
        for i, o in enumerate(outs)
    ]
    for w in workers:
        w.start()
    start.wait()  # every phoner is warm
    value = work()
    stop.set()
    for w in workers:
        w.join(timeout=300)
    results = [json.loads(o.read_text()) for o in outs if o.exists()]
    return (
        [x for r in results for x in r["samples"]],
        sum(r["failed"] for r in results),
        value,
    )


def run(bench: Bench) -> None:
    n_rows = bench.size(100_000, 2_000)
    n_callable = bench.size(20_000, 500)
    procs = bench.size(4, 2)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        shutil.copytree(REPO / "scripts", ws / "scripts")
        url = f"sqlite:///{ws / 'contention.db'}"
        campaign_id = _build(url, n_callable)
        csv_path = ws / "stor-liste.csv"
        _write_csv(csv_path, _rows(n_rows))

        base, _, _ = _round(
            ctx, url, campaign_id, procs, ws, "base", lambda: time.sleep(bench.size(6, 1))
        )
        during, failed, took = _round(
            ctx, url, campaign_id, procs, ws, "imp", lambda: _import(url, csv_path)
        )
    if not base or not during:
        print("no samples from the phoner processes", file=sys.stderr)
        return
    label = f"{procs} phoners, SQLite"
    base_p95 = percentiles(base)[1]
    p95 = percentiles(during)[1]
    bench.figure(f"import contention: next + record, {label}, no import (p95)", base_p95, "ms")
    bench.figure(
        f"import contention: next + record, {label}, during {n_rows:,}-row import (p95)",
        p95,
        "ms",
        ratio=p95 / base_p95,
        ratio_to="no import",
        target="< 1000 ms",
    )
    bench.figure(
        f"import contention: next + record, {label}, during import (worst)", max(during), "ms"
    )
    bench.figure(
        f"import contention: failed phoner operations during import ({label})",
        failed,
        "operations",
    )
    bench.figure(f"import contention: {n_rows:,}-row import under contention", took, "s")

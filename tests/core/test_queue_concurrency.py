"""Several real processes hammer one campaign's queue at once (SQLite and PostgreSQL).

Each worker is a separate process (multiprocessing, forkserver) with its own engine, like
phoners in separate terminals or on separate machines. All workers start together on a
barrier, then claim and record as fast as they can until the queue is empty. Outcomes
are a mix of final ones and ``optaget`` with a retry delay of 0, so companies come back
into the queue while others are claiming.

What must hold:
- no company is ever held by two phoners at once: a double hand-out would make one of
  the two ``record_outcome`` calls fail with Conflict (the other phoner's token), and
  leases are far longer than the test, so *any* Conflict is a failure;
- every acknowledged outcome is in the database (attempt ids returned == rows stored),
  and each company's attempt count equals the claims that were made on it;
- no error (e.g. "database is locked") ever reaches the caller;
- a process that dies holding a company (no release, no outcome) keeps it away from the
  others until its lease expires, and then it comes back.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from phoner.core.db import Database
from phoner.core.models import Outcome

# Keep this module's imports light: every spawned worker re-imports it to find _worker.

WORKERS = 4
COMPANIES = 48
MAX_ATTEMPTS = 3


def _worker(url: str, campaign_id: int, phoner: str, barrier: Any, out: str) -> None:
    from phoner.core.db import open_database
    from phoner.core.errors import PhonerError
    from phoner.core.queue.claims import claim_next
    from phoner.core.queue.outcomes import record_outcome

    db = open_database(url, check=False)
    rng = random.Random(phoner)
    claims: list[int] = []
    acked: list[list[int]] = []  # [attempt id, company id]
    errors: list[str] = []
    barrier.wait()
    started = time.monotonic()
    deadline = started + 15
    try:
        while time.monotonic() < deadline:
            try:
                claim = claim_next(db=db, campaign_id=campaign_id, phoner=phoner, ignore_hours=True)
            except PhonerError as exc:
                errors.append(f"claim: {exc}")
                continue
            if claim is None:
                break
            claims.append(claim.company_id)
            time.sleep(rng.uniform(0.001, 0.005))  # the call itself: others get their turn
            outcome = rng.choice(
                [Outcome.OPTAGET, Outcome.OPTAGET, Outcome.IKKE_INTERESSERET, Outcome.HAR_KONTAKT]
            )
            try:
                attempt = record_outcome(
                    db=db,
                    company_id=claim.company_id,
                    lease_token=claim.lease_token,
                    phoner=phoner,
                    outcome=outcome,
                    answers={"rette_person": "1"},
                    needs={},
                    note=f"{phoner} #{len(claims)}",
                )
            except PhonerError as exc:
                errors.append(f"record: {type(exc).__name__}: {exc}")
                continue
            assert attempt.id is not None
            acked.append([attempt.id, claim.company_id])
    except Exception as exc:  # anything else reaching the caller is a failure too
        errors.append(f"crash: {type(exc).__name__}: {exc}")
    finally:
        db.dispose()
        Path(out).write_text(
            json.dumps(
                {
                    "claims": claims,
                    "acked": acked,
                    "errors": errors,
                    "seconds": time.monotonic() - started,
                }
            )
        )


def _crasher(url: str, campaign_id: int, barrier: Any, out: str) -> None:
    """A terminal that takes a company and dies without a word (no release, no outcome)."""
    import os

    from phoner.core.db import open_database
    from phoner.core.queue.claims import claim_next

    db = open_database(url, check=False)
    # take it before the others start (SQLite's lock is not fair: a late claimer could
    # find the queue already drained), then die while they hammer
    claim = claim_next(db=db, campaign_id=campaign_id, phoner="crashed", ignore_hours=True)
    Path(out).write_text(json.dumps(None if claim is None else claim.company_id))
    barrier.wait()
    os._exit(1)


@pytest.mark.slow
def test_many_processes_one_queue(db: Database, db_url: str, tmp_path: Path) -> None:
    from sqlmodel import select

    from phoner.core.models import CallAttempt, CallState, Company, utcnow
    from phoner.core.queue.claims import LEASE, claim_next
    from tests.support.worlds import make_campaign

    setup = make_campaign(
        db,
        COMPANIES,
        bulk=True,
        consultant=False,
        max_attempts=MAX_ATTEMPTS,
        retry_minutes={"optaget": 0},
    )
    # forkserver: one clean server process imports phoner once, then forks each worker
    # (separate processes with their own engines, without paying the import four times).
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    barrier = ctx.Barrier(WORKERS + 2, timeout=60)
    outs = [tmp_path / f"w{i}.json" for i in range(WORKERS)]
    procs = [
        ctx.Process(
            target=_worker, args=(db_url, setup.campaign_id, f"phoner{i}", barrier, str(outs[i]))
        )
        for i in range(WORKERS)
    ]
    crashed_out = tmp_path / "crashed.json"
    crasher = ctx.Process(
        target=_crasher, args=(db_url, setup.campaign_id, barrier, str(crashed_out))
    )
    for p in [*procs, crasher]:
        p.start()
    t0 = time.monotonic()
    barrier.wait()
    print(f"workers ready after {time.monotonic() - t0:.1f} s")
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    crasher.join(timeout=60)
    assert crasher.exitcode == 1
    crashed = json.loads(crashed_out.read_text())
    assert isinstance(crashed, int)
    results = [json.loads(o.read_text()) for o in outs]
    print("work seconds:", [round(r["seconds"], 1) for r in results])
    print("claims per worker:", [len(r["claims"]) for r in results])
    errors = [e for r in results for e in r["errors"]]
    assert errors == []
    claims = Counter(cid for r in results for cid in r["claims"])
    acked = {aid: cid for r in results for aid, cid in r["acked"]}
    assert sum(claims.values()) == len(acked)  # every claim was recorded
    # real concurrency happened (SQLite's lock is not fair: one worker may be starved
    # while others hammer without think time; that is latency, not a correctness issue)
    assert sum(1 for r in results if r["claims"]) >= 2
    with db.session() as session:
        stored = {a.id: a.company_id for a in session.exec(select(CallAttempt)).all()}
        companies = session.exec(select(Company)).all()
    assert stored == acked  # zero acknowledged outcomes lost, nothing extra
    per_company = Counter(stored.values())
    for company in companies:
        assert company.id is not None
        if company.id == crashed:
            # nobody got the crashed terminal's company while its lease ran
            assert company.attempts == 0 and company.lease_holder == "crashed"
            assert claims[company.id] == 0
            continue
        assert company.attempts == per_company[company.id] == claims[company.id]
        assert company.lease_holder is None
        # the queue was drained: every company ended final or at the attempt cap
        assert company.call_state in (CallState.DONE, CallState.NOT_REACHED)
        assert 1 <= company.attempts <= MAX_ATTEMPTS
    # once the lease has expired the company comes back to the queue
    later = utcnow() + LEASE + dt.timedelta(seconds=1)
    back = claim_next(
        db=db, campaign_id=setup.campaign_id, phoner="phoner0", now=later, ignore_hours=True
    )
    assert back is not None and back.company_id == crashed

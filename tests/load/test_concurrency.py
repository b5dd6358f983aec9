"""Many phoners at once: 8 processes on one SQLite campaign, 16 on PostgreSQL.

Every worker claims, records outcomes and, on ``vil_kontaktes``, books the company into
one of the first free slots of its jobcenter's consultants (so workers race for the same
slots), for a bounded time. Each worker writes down what it was acknowledged. Then:

- no company was handed to two phoners while leased (the leases are far longer than the
  test, so any lost lease is a double hand-out; the acknowledged claim intervals of one
  company never overlap);
- no consultant is double-booked (no two booked visits overlap, travel buffer included,
  and no day holds more than the consultant's maximum);
- no acknowledged outcome or booking is missing, and nothing unacknowledged is there;
- no "database is locked" (or any other error or traceback) reached a phoner; the only
  refusals are bookings of a slot another phoner took a moment earlier.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from phoner.core.db import Database
from phoner.core.models import Booking, BookingStatus, CallAttempt, Company, Consultant
from tests.support.load import procs, world
from tests.support.load.workers import phoner_worker

SECONDS = 8.0
RACE_RULES = {"overlap_transporttid", "besoeg_pr_dag", "allerede_booket"}


def _run(db_url: str, campaign_id: int, n: int, tmp_path: Path) -> list[dict[str, Any]]:
    ctx = procs.context()
    barrier = ctx.Barrier(n + 1, timeout=120)
    outs = [tmp_path / f"phoner{i}.json" for i in range(n)]
    workers = [
        ctx.Process(  # type: ignore[attr-defined]
            target=phoner_worker,
            args=(db_url, campaign_id, f"phoner{i}", SECONDS, barrier, str(outs[i])),
        )
        for i in range(n)
    ]
    for p in workers:
        p.start()
    barrier.wait()
    for p in workers:
        p.join(timeout=60)
        assert p.exitcode == 0, f"{p.name} exit code {p.exitcode}"
    return [json.loads(o.read_text()) for o in outs]


def _check(db: Database, results: list[dict[str, Any]]) -> None:
    crashes = [c for r in results for c in r["crashes"]]
    assert crashes == [], crashes[0]
    errors = [e for r in results for e in r["errors"]]
    assert not any("optaget" in e or "locked" in e for e in errors), errors
    assert errors == []
    refused = Counter[str]()
    for r in results:
        refused.update(r["refused"])
    assert set(refused) <= RACE_RULES, refused
    assert all(r["claims"] for r in results), "a phoner never got a company"

    # -- zero double hand-outs: one company's acknowledged claims never overlap
    per_company: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for r in results:
        for cid, claimed, recording in r["claims"]:
            per_company[cid].append((claimed, recording))
    for cid, spans in per_company.items():
        spans.sort()
        for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
            assert s2 >= e1, f"company {cid} handed out twice"

    # -- zero lost (or invented) outcomes and bookings
    acked = {aid: cid for r in results for aid, cid, _o in r["attempts"]}
    acked_bookings = {bid: (cid, kid) for r in results for bid, cid, kid in r["bookings"]}
    with db.session() as s:
        stored = {a.id: a.company_id for a in s.exec(select(CallAttempt)).all()}
        bookings = list(s.exec(select(Booking)).all())
        consultants = {k.id: k for k in s.exec(select(Consultant)).all()}
        companies = {c.id: c for c in s.exec(select(Company)).all()}
    assert stored == acked
    assert {b.id: (b.company_id, b.consultant_id) for b in bookings} == acked_bookings
    assert all(b.status == BookingStatus.BOOKED for b in bookings)
    claims_per_company = Counter(stored.values())
    for cid, n in claims_per_company.items():
        assert companies[cid].attempts == n
    assert len(acked_bookings) > 0, "no booking was made"

    # -- zero double-booked consultants (travel buffer included), day maximum kept
    by_consultant: dict[int, list[Booking]] = defaultdict(list)
    for b in bookings:
        by_consultant[b.consultant_id].append(b)
    for kid, items in by_consultant.items():
        k = consultants[kid]
        buffer = dt.timedelta(minutes=k.travel_buffer_minutes)
        items.sort(key=lambda b: b.start)
        for first, second in itertools.pairwise(items):
            assert second.start >= first.end + buffer, (
                f"{k.name} double-booked: {first.start}-{first.end} and {second.start}"
            )
        per_day = Counter(b.start.date() for b in items)
        assert max(per_day.values()) <= k.max_visits_per_day
    # one booking per company
    assert len({b.company_id for b in bookings}) == len(bookings)


def _workers(db: Database) -> int:
    return 8 if db.is_sqlite else 16


@pytest.mark.slow
def test_many_phoners_claim_record_and_book_at_once(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    w = world.build(db, companies=2000, consultants=3)
    results = _run(db_url, w.campaign_id, _workers(db), tmp_path)
    _check(db, results)

"""Booking figures: feeds for the national campaign's size, slot search, feed server.

- building every consultant's feed: 273 consultants, 4,000 visits (the 2015-16 campaign
  booked 3,966 visits for 273 consultants);
- first-free-slot search across a jobcenter's 20 consultants with six weeks of visits;
- a booking (rules re-checked inside the write transaction);
- feed requests per second (200 and 304) from loopback clients against uvicorn, with the
  body cache hot and cold, and what a 304 costs against a 200.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlmodel import select

from phoner.core import feeds
from phoner.core.booking import service as bk
from phoner.core.clock import local_date, local_to_utc
from phoner.core.db import Database, make_engine
from phoner.core.models import (
    Booking,
    Campaign,
    Company,
    Consultant,
    FeedFetchSummary,
    Jobcenter,
)
from phoner.core.workdays import add_working_days, is_working_day
from tests.support.bench import Bench, percentiles, stopwatch

NOW = local_to_utc(dt.date(2027, 2, 1), dt.time(10, 0))  # a Monday


def _world(db: Database, *, consultants: int, bookings: int, jobcenters: int) -> list[int]:
    """Jobcenters, consultants and booked visits spread over six weeks (bulk inserts)."""
    rng = random.Random(5)
    with db.session(write=True) as s:
        jcs = [Jobcenter(name=f"Jobcenter B{i}", municipality=f"B{i}") for i in range(jobcenters)]
        s.add_all(jcs)
        s.flush()
        camp = Campaign(name="Bench", script_path="x.toml", script_hash="x")
        s.add(camp)
        s.flush()
        s.execute(
            sa.insert(Consultant),
            [
                {
                    "name": f"Konsulent {i}",
                    "email": f"k{i}@bench.dk",
                    "jobcenter_id": jcs[i % jobcenters].id,
                    "feed_token": secrets.token_urlsafe(32),
                    "working_days": [0, 1, 2, 3, 4],
                    "max_visits_per_day": 3,
                }
                for i in range(consultants)
            ],
        )
        cons = s.exec(select(Consultant.id, Consultant.jobcenter_id)).all()
        s.execute(
            sa.insert(Company),
            [
                {
                    "campaign_id": camp.id,
                    "jobcenter_id": jcs[i % jobcenters].id,
                    "name": f"Virksomhed {i}; ApS",
                    "phones": ["+4533123456"],
                    "address": f"Nørregade {i}",
                    "postcode": "4600",
                    "city": "Køge",
                    "contact_person": "Åse Kjær",
                }
                for i in range(bookings + 10)
            ],
        )
        company_ids = list(s.exec(select(Company.id).order_by(Company.id)).all())
        days = [
            d
            for d in (local_date(NOW) + dt.timedelta(days=i) for i in range(2, 43))
            if is_working_day(d)
        ]
        times = [dt.time(8, 30), dt.time(10, 0), dt.time(11, 30), dt.time(13, 0)]
        rows = []
        taken: set[tuple[int, dt.date, dt.time]] = set()
        i = 0
        while len(rows) < bookings:
            cid, _jc = cons[i % len(cons)]
            i += 1
            day, t = rng.choice(days), rng.choice(times[:3])
            if (cid, day, t) in taken:
                continue
            taken.add((cid, day, t))
            start = local_to_utc(day, t)
            rows.append(
                {
                    "uid": f"{secrets.token_hex(8)}@phoner",
                    "campaign_id": camp.id,
                    "company_id": company_ids[len(rows)],
                    "consultant_id": cid,
                    "start": start,
                    "end": start + dt.timedelta(hours=1),
                    "booked_by": "bench",
                    "created_at": NOW,
                    "modified_at": NOW,
                    "details": {"needs": {"jobfunktion": "Rengøring"}, "note": "Ring efter 10"},
                }
            )
        s.execute(sa.insert(Booking), rows)
    return [int(c) for c in company_ids[bookings:]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(bench: Bench) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(make_engine(url))
        db.upgrade()
        n_cons = bench.size(273, 30)
        n_book = bench.size(4000, 300)
        _world(db, consultants=n_cons, bookings=n_book, jobcenters=max(1, n_cons // 20))
        with stopwatch() as elapsed, db.session() as s:
            written = feeds.write_feeds(session=s, out_dir=Path(tmp) / "calendars")
        total = elapsed()
        size = sum(p.stat().st_size for _c, p, _ch in written)
        bench.figure(
            f"booking: build feeds, {n_cons} consultants x {n_book} visits",
            total * 1000,
            "ms",
            target="< 2 s",
        )
        bench.figure("booking: feed bytes in total", size / 1024, "KiB")
        with stopwatch() as elapsed, db.session() as s:
            feeds.write_feeds(session=s, out_dir=Path(tmp) / "calendars")
        bench.figure("booking: rebuild unchanged feeds (no writes)", elapsed() * 1000, "ms")
        db.dispose()

        # slot search: one jobcenter of 20 consultants with six weeks of visits
        url2 = f"sqlite:///{Path(tmp) / 'slots.db'}"
        db2 = Database(make_engine(url2))
        db2.upgrade()
        n_jc = 20
        free_companies = _world(db2, consultants=n_jc, bookings=bench.size(900, 120), jobcenters=1)
        samples = []
        for _ in range(bench.size(40, 5)):
            with stopwatch() as elapsed, db2.session() as s:
                slots = bk.find_slots(session=s, company_id=free_companies[0], now=NOW, limit=10)
            samples.append(elapsed() * 1000)
        med, p95 = percentiles(samples)
        bench.figure(
            "booking: first 10 free slots, 20 consultants, 6 weeks (median)",
            med,
            "ms",
            target="< 100 ms",
        )
        bench.figure("booking: first 10 free slots (p95)", p95, "ms")
        assert slots and local_date(slots[0].start) >= add_working_days(local_date(NOW), 2)
        samples = []
        for cid in free_companies[: bench.size(10, 3)]:
            with db2.session() as s:
                slot = bk.find_slots(session=s, company_id=cid, now=NOW, limit=1)[0]
            with stopwatch() as elapsed:
                bk.book_visit(
                    db=db2,
                    company_id=cid,
                    consultant_id=slot.consultant_id,
                    start=slot.start,
                    booked_by="bench",
                    now=NOW,
                )
            samples.append(elapsed() * 1000)
        med, _p95 = percentiles(samples)
        bench.figure("booking: book_visit incl. in-transaction re-check (median)", med, "ms")

        # the feed server over loopback
        import uvicorn

        from phoner.feed import server as server_module
        from phoner.feed.server import create_app

        cache_seconds = server_module.CACHE_SECONDS

        db3 = Database(make_engine(url2))
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(db3), host="127.0.0.1", port=port, log_level="error", access_log=False
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with db3.session() as s:
            tokens = list(s.exec(select(Consultant.feed_token).order_by(Consultant.id)).all())
        urls = [f"http://127.0.0.1:{port}/kalender/{t}.ics" for t in tokens]
        n_req = bench.size(400, 40)
        with httpx.Client() as client:
            etags = {u: client.get(u).headers["etag"] for u in urls}
        sent = len(urls)

        def fetch(conditional: bool, offset: int) -> int:
            with httpx.Client() as c:
                total = 0
                for i in range(n_req // 4):
                    u = urls[(offset + i) % len(urls)]
                    headers = {"If-None-Match": etags[u]} if conditional else {}
                    total += c.get(u, headers=headers).status_code
                return total

        # hot: the server's body cache holds every feed; cold: clients poll hourly, so in
        # practice the cache never holds the feed asked for (CACHE_SECONDS = 0)
        per_request: dict[tuple[str, str], float] = {}
        for cache in ("hot", "cold"):
            if cache == "cold":
                server_module.CACHE_SECONDS = 0.0
            for conditional, label in ((False, "200"), (True, "304")):
                with stopwatch() as elapsed, ThreadPoolExecutor(4) as pool:
                    codes = list(pool.map(fetch, [conditional] * 4, range(0, 40, 10)))
                sent += 4 * (n_req // 4)
                expected = (304 if conditional else 200) * (n_req // 4)
                assert all(c == expected for c in codes), codes
                per_request[(cache, label)] = elapsed() / n_req
                bench.figure(
                    f"feed server: requests/s ({label}, {cache} cache, 4 loopback clients)",
                    n_req / elapsed(),
                    "req/s",
                )
        server_module.CACHE_SECONDS = cache_seconds
        for cache in ("hot", "cold"):
            cost_200, cost_304 = per_request[(cache, "200")], per_request[(cache, "304")]
            bench.figure(
                f"feed server: ms per 304 ({cache} cache)",
                cost_304 * 1000,
                "ms",
                ratio=cost_200 / cost_304,
                ratio_to=f"a 200 ({cost_200 * 1000:.2f} ms)",
            )
        server.should_exit = True
        thread.join(timeout=10)
        # every request was recorded (buffered, written at most a second later and at exit)
        with db3.session() as s:
            recorded = s.execute(sa.select(sa.func.sum(FeedFetchSummary.fetches))).scalar_one()
        assert recorded == sent, (recorded, sent)
        db3.dispose()
        db2.dispose()

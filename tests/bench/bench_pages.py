"""The consultants' pages on the feed server: requests per second on loopback.

- the visit page ``GET /besoeg/<token>`` (read the visit, the company's calls and visits,
  render the template);
- saving its form ``POST /besoeg/<token>`` (CSRF check, the visits service's update of
  the result, audited, in one write transaction; answered 303), four clients at once
  on SQLite, whose writes take turns;
- the consultant's page ``GET /konsulent/<token>``.

uvicorn in a thread on 127.0.0.1, four httpx clients, as the feed server's figures in
bench_booking.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from phoner.core.db import Database, make_engine
from tests.support.bench import Bench, stopwatch
from tests.support.pages import AFTER, HELD_FORM, csrf_of, page_world

CLIENTS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(bench: Bench) -> None:
    import uvicorn

    from phoner.feed.server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(make_engine(f"sqlite:///{Path(tmp) / 'pages.db'}"))
        db.upgrade()
        pw = page_world(db)
        port = _free_port()
        app = create_app(db, record_fetches=False, clock=lambda: AFTER)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        visit = f"{base}/besoeg/{pw.visit_token}"
        mine = f"{base}/konsulent/{pw.consultant_token}"
        n_req = bench.size(400, 20)
        with httpx.Client() as c:
            csrf = csrf_of(c.get(visit).text)  # valid for the whole run
            for _ in range(5):  # warm: templates compiled, statements cached
                c.get(visit)
                c.get(mine)

        def hammer(kind: str) -> int:
            ok = 0
            with httpx.Client() as c:
                for i in range(n_req // CLIENTS):
                    if kind == "post":
                        form = {**HELD_FORM, "csrf": csrf, "note": f"Bench {i}"}
                        ok += c.post(visit, data=form).status_code == 303
                    else:
                        ok += c.get(visit if kind == "visit" else mine).status_code == 200
            return ok

        rates: dict[str, float] = {}
        for kind, label in [
            ("visit", "visit page GET"),
            ("post", "visit page POST (save, 303)"),
            ("consultant", "consultant page GET"),
        ]:
            with stopwatch() as elapsed, ThreadPoolExecutor(CLIENTS) as pool:
                done = sum(pool.map(hammer, [kind] * CLIENTS))
            assert done == CLIENTS * (n_req // CLIENTS), (kind, done)
            rates[kind] = done / elapsed()
            ratio = None if kind == "visit" else rates[kind] / rates["visit"]
            bench.figure(
                f"pages: requests/s ({label}, {CLIENTS} loopback clients)",
                rates[kind],
                "req/s",
                ratio=ratio,
                ratio_to=None if ratio is None else "the visit page GET",
            )
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()

"""The feed server: in-process (Starlette TestClient) and the real ``phoner serve``."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import warnings
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import icalendar
import pytest
from sqlmodel import select

from phoner.core import feeds
from phoner.core.booking import service as bk
from phoner.core.consultants import rotate_token
from phoner.core.db import Database
from phoner.core.models import Booking, CancelReason, Consultant, FeedFetchSummary
from phoner.feed.server import create_app
from tests.support.booking import NOW, at, make_world

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from starlette.testclient import TestClient


def _token(db: Database, cid: int) -> str:
    with db.session() as s:
        c = s.get(Consultant, cid)
        assert c is not None
        return c.feed_token


def _summary(db: Database) -> list[FeedFetchSummary]:
    with db.session() as s:
        return list(s.exec(select(FeedFetchSummary).order_by(FeedFetchSummary.id)).all())


def test_feed_headers_etag_304_and_fetch_log(db: Database) -> None:
    w = make_world(db)
    cid = w.consultant_ids[0]
    b = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=cid,
        start=at("2027-03-30", "09:00"),
        booked_by="t1",
        now=NOW,
    )
    client = TestClient(create_app(db))
    token = _token(db, cid)
    r = client.get(f"/kalender/{token}.ics", headers={"User-Agent": "Microsoft Outlook 16"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "content-encoding" not in r.headers
    etag = r.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert parsedate_to_datetime(r.headers["last-modified"]) == NOW.replace(microsecond=0)
    cal = icalendar.Calendar.from_ical(r.content)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [b.uid]
    # conditional request: unchanged -> 304 without a body
    r2 = client.get(
        f"/kalender/{token}.ics",
        headers={"If-None-Match": etag, "Accept-Encoding": "gzip"},
    )
    assert r2.status_code == 304 and r2.content == b"" and r2.headers["etag"] == etag
    # a change (cancellation) -> new ETag, Last-Modified moves forward, visit gone
    bk.cancel_booking(
        db=db,
        booking_id=b.id or 0,
        reason=CancelReason.CONSULTANT_CANCELLED,
        actor="t",
        now=NOW + dt.timedelta(hours=2),
    )
    r3 = client.get(f"/kalender/{token}.ics", headers={"If-None-Match": etag})
    assert r3.status_code == 200 and r3.headers["etag"] != etag
    assert b.uid.encode() not in r3.content
    assert parsedate_to_datetime(r3.headers["last-modified"]) > parsedate_to_datetime(
        r.headers["last-modified"]
    )
    # fetches are buffered in memory and written together (not one write per request)
    assert _summary(db) == []
    assert client.app.state.fetch_log.flush() == 3  # type: ignore[attr-defined]
    with db.session() as s:
        c = s.get(Consultant, cid)
        assert c is not None and c.last_feed_fetch_at is not None
    # one summary row per consultant and day, not one row per request
    [day] = _summary(db)
    assert (day.consultant_id, day.fetches, day.last_status) == (cid, 3, 200)
    assert day.first_at <= day.last_at == c.last_feed_fetch_at
    client.get(f"/kalender/{token}.ics", headers={"User-Agent": "Thunderbird"})
    client.app.state.fetch_log.flush()  # type: ignore[attr-defined]
    [day] = _summary(db)
    assert (day.fetches, day.last_user_agent) == (4, "Thunderbird")


def test_fetch_log_flushed_in_background_and_at_shutdown(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phoner.feed import server

    monkeypatch.setattr(server, "FLUSH_SECONDS", 0.05)
    w = make_world(sqlite_db)
    cid = w.consultant_ids[0]
    token = _token(sqlite_db, cid)

    def fetches() -> list[tuple[int, int]]:
        return [(d.fetches, d.last_status) for d in _summary(sqlite_db)]

    with TestClient(create_app(sqlite_db)) as client:  # runs the lifespan (flusher)
        r = client.get(f"/kalender/{token}.ics")
        deadline = time.monotonic() + 5
        while not fetches() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fetches() == [(1, 200)]
        monkeypatch.setattr(server, "FLUSH_SECONDS", 3600.0)
        time.sleep(0.1)  # the flusher is now asleep for an hour
        client.get(f"/kalender/{token}.ics", headers={"If-None-Match": r.headers["etag"]})
        client.get(f"/kalender/{token}.ics", headers={"If-None-Match": r.headers["etag"]})
    assert fetches() == [(3, 304)]  # written at shutdown
    with sqlite_db.session() as s:
        c = s.get(Consultant, cid)
        assert c is not None and c.last_feed_fetch_at is not None
        assert c.last_feed_fetch_at == _summary(sqlite_db)[0].last_at


def test_cached_feed_follows_changes(sqlite_db: Database) -> None:
    """The cached body is only reused while the consultant's visits are unchanged."""
    w = make_world(sqlite_db)
    cid = w.consultant_ids[0]
    client = TestClient(create_app(sqlite_db))
    token = _token(sqlite_db, cid)
    empty = client.get(f"/kalender/{token}.ics")
    assert client.get(f"/kalender/{token}.ics").headers["etag"] == empty.headers["etag"]
    b = bk.book_visit(
        db=sqlite_db,
        company_id=w.company_id,
        consultant_id=cid,
        start=at("2027-03-30", "09:00"),
        booked_by="t1",
        now=NOW,
    )
    r = client.get(f"/kalender/{token}.ics", headers={"If-None-Match": empty.headers["etag"]})
    assert r.status_code == 200 and b.uid.encode() in r.content
    bk.move_booking(
        db=sqlite_db,
        booking_id=b.id or 0,
        start=at("2027-03-31", "09:00"),
        actor="t1",
        now=NOW,
    )
    moved = client.get(f"/kalender/{token}.ics", headers={"If-None-Match": r.headers["etag"]})
    assert moved.status_code == 200 and b"DTSTART:20270331T070000Z" in moved.content
    # a renamed consultant: new calendar name at once
    with sqlite_db.session(write=True) as s:
        c = s.get(Consultant, cid)
        assert c is not None
        c.name = "Fatima Ny"
        s.add(c)
    renamed = client.get(f"/kalender/{token}.ics")
    assert "X-WR-CALNAME:Virksomhedsbesøg – Fatima Ny".encode() in renamed.content


def test_unknown_tokens_and_paths_are_bare_404(sqlite_db: Database) -> None:
    w = make_world(sqlite_db)
    client = TestClient(create_app(sqlite_db))
    token = _token(sqlite_db, w.consultant_ids[0])
    bad = [
        "/kalender/" + "A" * 43 + ".ics",
        f"/kalender/{token}",
        f"/kalender/{token[:-1]}.ics",
        "/kalender/..%2f..%2fphoner.db",
        "/kalender/../phoner.db",
        "/",
        "/kalender/",
        f"/kalender/{token}.ics/../x",
        f"/kalender/{token}.ics/",  # no redirect built from the Host header
    ]
    bodies = set()
    for path in bad:
        r = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        assert r.status_code == 404, path
        assert "location" not in r.headers
        bodies.add(r.content)
    assert bodies == {b"Ikke fundet.\n"}
    assert client.post(f"/kalender/{token}.ics").status_code == 404
    client.app.state.fetch_log.flush()  # type: ignore[attr-defined]
    assert _summary(sqlite_db) == []


def _status(db: Database, cid: int) -> feeds.FeedStatus:
    with db.session() as s:
        [row] = [r for r in feeds.feed_status(session=s, now=NOW) if r.consultant.id == cid]
    return row


def test_head_and_unrelated_requests_are_not_seen(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phoner.feed import server

    monkeypatch.setattr(server, "utcnow", lambda: NOW + dt.timedelta(hours=1))
    w = make_world(sqlite_db)
    cid = w.consultant_ids[0]
    _book_one(sqlite_db, w.company_id, cid)
    token = _token(sqlite_db, cid)
    other = _token(sqlite_db, w.consultant_ids[1])
    client = TestClient(create_app(sqlite_db))
    assert client.head(f"/kalender/{token}.ics").status_code == 200
    for path in (f"/kalender/{token}.ics/", f"/kalender/{token}", f"/{token}.ics"):
        assert client.get(path).status_code == 404
    assert client.get(f"/kalender/{token[:-2]}xy.ics").status_code == 404
    assert client.get(f"/kalender/{other}.ics").status_code == 200  # somebody else's
    client.app.state.fetch_log.flush()  # type: ignore[attr-defined]
    row = _status(sqlite_db, cid)
    assert row.last_fetch is None and row.unseen == 1 and row.needs_chasing
    assert client.get(f"/kalender/{token}.ics").status_code == 200
    client.app.state.fetch_log.flush()  # type: ignore[attr-defined]
    row = _status(sqlite_db, cid)
    assert row.last_fetch is not None and row.unseen == 0


def test_a_change_committed_while_a_fetch_runs_is_not_seen_by_it(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fetch counts as seen at its start (the snapshot it served), not at its end."""
    from phoner.feed import server

    w = make_world(sqlite_db)
    cid = w.consultant_ids[0]
    b = _book_one(sqlite_db, w.company_id, cid)
    token = _token(sqlite_db, cid)
    clock = [NOW + dt.timedelta(hours=1)]
    monkeypatch.setattr(server, "utcnow", lambda: clock[0])
    original = server._find_consultant

    def meanwhile(session: object, presented: str) -> object:
        found = original(session, presented)  # type: ignore[arg-type]
        # the request's read transaction has begun: a move commits from elsewhere
        clock[0] = NOW + dt.timedelta(hours=2)
        bk.move_booking(
            db=sqlite_db,
            booking_id=b.id or 0,
            start=at("2027-03-31", "09:00"),
            actor="t1",
            now=clock[0],
        )
        clock[0] = NOW + dt.timedelta(hours=3)  # the fetch ends after the move
        return found

    monkeypatch.setattr(server, "_find_consultant", meanwhile)
    client = TestClient(create_app(sqlite_db))
    r = client.get(f"/kalender/{token}.ics")
    assert r.status_code == 200 and b"DTSTART:20270331" not in r.content  # the old snapshot
    client.app.state.fetch_log.flush()  # type: ignore[attr-defined]
    row = _status(sqlite_db, cid)
    assert row.last_fetch == NOW + dt.timedelta(hours=1)
    assert row.unseen == 1 and row.needs_chasing


def test_a_change_stamped_before_a_fetch_but_committed_during_it_is_not_seen(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``modified_at`` is stamped when the change is written; its commit can come after the
    fetch took its snapshot, so a stamp just before the fetch's start is no proof."""
    from phoner.feed import server

    w = make_world(sqlite_db)
    cid = w.consultant_ids[0]
    b = _book_one(sqlite_db, w.company_id, cid)
    token = _token(sqlite_db, cid)
    start = NOW + dt.timedelta(hours=1)
    monkeypatch.setattr(server, "utcnow", lambda: start)
    original = server._find_consultant

    def meanwhile(session: object, presented: str) -> object:
        found = original(session, presented)  # type: ignore[arg-type]
        bk.move_booking(  # written 5 s before the fetch began, committed during it
            db=sqlite_db,
            booking_id=b.id or 0,
            start=at("2027-03-31", "09:00"),
            actor="t1",
            now=start - dt.timedelta(seconds=5),
        )
        return found

    monkeypatch.setattr(server, "_find_consultant", meanwhile)
    client = TestClient(create_app(sqlite_db))
    r = client.get(f"/kalender/{token}.ics")
    assert r.status_code == 200 and b"DTSTART:20270331" not in r.content
    client.app.state.fetch_log.flush()  # type: ignore[attr-defined]
    assert _status(sqlite_db, cid).unseen == 1
    # the next fetch, a while later, serves the move and counts it as seen
    monkeypatch.setattr(server, "_find_consultant", original)
    monkeypatch.setattr(server, "utcnow", lambda: start + dt.timedelta(minutes=5))
    assert b"DTSTART:20270331" in client.get(f"/kalender/{token}.ics").content
    client.app.state.fetch_log.flush()  # type: ignore[attr-defined]
    assert _status(sqlite_db, cid).unseen == 0


def test_a_304_does_not_build_the_feed(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conditional check comes first: one aggregate query, no feed rows, no body."""
    from phoner.feed import server

    w = make_world(sqlite_db)
    cid = w.consultant_ids[0]
    _book_one(sqlite_db, w.company_id, cid)
    token = _token(sqlite_db, cid)
    client = TestClient(create_app(sqlite_db, record_fetches=False))
    etag = client.get(f"/kalender/{token}.ics").headers["etag"]
    builds: list[int] = []
    original = server.consultant_feed

    def counting(**kwargs: object) -> object:
        builds.append(1)
        return original(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(server, "CACHE_SECONDS", 0.0)  # as with hourly polling
    monkeypatch.setattr(server, "consultant_feed", counting)
    r = client.get(f"/kalender/{token}.ics", headers={"If-None-Match": etag})
    assert r.status_code == 304 and builds == []
    full = client.get(f"/kalender/{token}.ics")
    assert full.status_code == 200 and builds == [1] and full.headers["etag"] == etag
    # a company edit (a shown field) bumps the visit: new ETag, the new text
    with sqlite_db.session(write=True) as s:
        booking = s.exec(select(Booking).where(Booking.consultant_id == cid)).one()
        booking.contact_person = "Ny Person"
        s.add(booking)
    changed = client.get(f"/kalender/{token}.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert b"Ny Person" in changed.content


def _book_one(db: Database, company_id: int, cid: int) -> Booking:
    return bk.book_visit(
        db=db,
        company_id=company_id,
        consultant_id=cid,
        start=at("2027-03-30", "09:00"),
        booked_by="t1",
        now=NOW,
    )


def test_rotation_invalidates_at_once(sqlite_db: Database) -> None:
    w = make_world(sqlite_db)
    cid = w.consultant_ids[0]
    client = TestClient(create_app(sqlite_db))
    old = _token(sqlite_db, cid)
    assert client.get(f"/kalender/{old}.ics").status_code == 200
    with sqlite_db.session(write=True) as s:
        c = s.get(Consultant, cid)
        assert c is not None
        new = rotate_token(session=s, consultant=c, actor="test")
    assert len(new) >= 22  # >= 128 bits in URL-safe base64
    assert client.get(f"/kalender/{old}.ics").status_code == 404
    assert client.get(f"/kalender/{new}.ics").status_code == 200


def test_tokens_are_compared_in_constant_time_against_every_token(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No early exit: a right, a wrong and a nearly right token cost the same comparisons."""
    import hmac

    import phoner.feed.server as server

    w = make_world(sqlite_db)
    with sqlite_db.session() as s:
        active = len(s.exec(select(Consultant).where(Consultant.active == True)).all())  # noqa: E712
    assert active >= 2
    calls: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(server.hmac, "compare_digest", counting)
    client = TestClient(create_app(sqlite_db, record_fetches=False))
    token = _token(sqlite_db, w.consultant_ids[0])
    per_request = []
    for presented in (token, "x" * len(token), token[:-1] + ("A" if token[-1] != "A" else "B")):
        calls.clear()
        client.get(f"/kalender/{presented}.ics")
        per_request.append(len(calls))
    assert per_request == [active, active, active]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp[6])."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_real_phoner_serve(sqlite_db: Database, sqlite_url: str, tmp_path: Path) -> None:
    w = make_world(sqlite_db)
    cid = w.consultant_ids[0]
    bk.book_visit(
        db=sqlite_db,
        company_id=w.company_id,
        consultant_id=cid,
        start=at("2027-03-30", "09:00"),
        booked_by="t1",
        now=NOW,
    )
    token = _token(sqlite_db, cid)
    port = _free_port()
    env = {**os.environ, "PHONER_DB": sqlite_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "phoner", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"phoner serve did not start: {proc.stderr.read()!r}")  # type: ignore[union-attr]
                time.sleep(0.2)
        # without --host it listens on the loopback address only
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex
        r = httpx.get(f"{base}/kalender/{token}.ics", headers={"User-Agent": "Thunderbird"})
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/calendar; charset=utf-8"
        assert "content-encoding" not in r.headers
        assert "server" not in r.headers
        assert r.content.startswith(b"BEGIN:VCALENDAR\r\n")
        r2 = httpx.get(f"{base}/kalender/{token}.ics", headers={"If-None-Match": r.headers["etag"]})
        assert r2.status_code == 304
        r3 = httpx.get(f"{base}/kalender/{'x' * 43}.ics")
        assert r3.status_code == 404 and r3.text == "Ikke fundet.\n"
        head = httpx.head(f"{base}/kalender/{token}.ics")
        assert head.status_code == 200 and head.content == b""
    finally:
        proc.terminate()
        try:
            _out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
    assert token.encode() not in err  # the access log never shows the secret URL
    with sqlite_db.session() as s:
        c = s.get(Consultant, cid)
        assert c is not None and c.last_feed_fetch_at is not None
    [day] = _summary(sqlite_db)
    assert (day.fetches, day.last_status) == (2, 304)  # the HEAD is not a fetch

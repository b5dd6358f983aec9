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

from phoner.core.booking import service as bk
from phoner.core.consultants import rotate_token
from phoner.core.db import Database
from phoner.core.models import CancelReason, Consultant, FeedFetch
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
    with db.session() as s:
        assert s.exec(select(FeedFetch)).all() == []
    assert client.app.state.fetch_log.flush() == 3  # type: ignore[attr-defined]
    with db.session() as s:
        fetches = s.exec(select(FeedFetch).where(FeedFetch.consultant_id == cid)).all()
        c = s.get(Consultant, cid)
        assert c is not None and c.last_feed_fetch_at is not None
    assert [f.status for f in fetches] == [200, 304, 200]
    assert fetches[0].user_agent == "Microsoft Outlook 16"


def test_fetch_log_flushed_in_background_and_at_shutdown(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phoner.feed import server

    monkeypatch.setattr(server, "FLUSH_SECONDS", 0.05)
    w = make_world(sqlite_db)
    cid = w.consultant_ids[0]
    token = _token(sqlite_db, cid)

    def fetches() -> list[int]:
        with sqlite_db.session() as s:
            return [f.status for f in s.exec(select(FeedFetch)).all()]

    with TestClient(create_app(sqlite_db)) as client:  # runs the lifespan (flusher)
        r = client.get(f"/kalender/{token}.ics")
        deadline = time.monotonic() + 5
        while not fetches() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fetches() == [200]
        monkeypatch.setattr(server, "FLUSH_SECONDS", 3600.0)
        time.sleep(0.1)  # the flusher is now asleep for an hour
        client.get(f"/kalender/{token}.ics", headers={"If-None-Match": r.headers["etag"]})
        client.get(f"/kalender/{token}.ics", headers={"If-None-Match": r.headers["etag"]})
    assert fetches() == [200, 304, 304]  # written at shutdown
    with sqlite_db.session() as s:
        c = s.get(Consultant, cid)
        assert c is not None and c.last_feed_fetch_at is not None
        last = max(f.at for f in s.exec(select(FeedFetch)).all())
        assert c.last_feed_fetch_at == last


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
    ]
    bodies = set()
    for path in bad:
        r = client.get(path)
        assert r.status_code == 404, path
        bodies.add(r.content)
    assert bodies == {b"Ikke fundet.\n"}
    assert client.post(f"/kalender/{token}.ics").status_code == 404
    with sqlite_db.session() as s:
        assert s.exec(select(FeedFetch)).all() == []


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
        statuses = [f.status for f in s.exec(select(FeedFetch)).all()]
        c = s.get(Consultant, cid)
        assert c is not None and c.last_feed_fetch_at is not None
    assert statuses == [200, 304, 200]

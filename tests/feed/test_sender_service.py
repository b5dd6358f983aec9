"""``phoner serve`` as the one long-running service: the outbox sender and ``/health``."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import warnings
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from phoner.core import outbox
from phoner.core.db import Database
from phoner.core.mail import SmtpConfig, SmtpTransport
from phoner.core.models import Campaign, OutboxMessage, OutboxStatus, utcnow
from phoner.core.sender import SenderService
from phoner.feed.server import create_app
from tests.support.booking import make_world
from tests.support.smtp import SmtpServer, free_port

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def _campaign(db: Database) -> int:
    w = make_world(db)
    with db.session(write=True) as s:
        camp = s.get(Campaign, w.campaign_id)
        assert camp is not None
        camp.mailbox = "kampagne@koege.dk"
        s.add(camp)
    return w.campaign_id


def _queue(db: Database, campaign_id: int, n: int, *, now: dt.datetime | None = None) -> list[int]:
    with db.session(write=True) as s:
        ids = []
        for i in range(n):
            m = EmailMessage()
            m["Subject"] = f"Besked {i}"
            m.set_content("Hej")
            ids.append(
                outbox.enqueue(
                    s,
                    message=m,
                    recipient=f"k{i}@koege.demo.dk",
                    kind="invitation",
                    campaign_id=campaign_id,
                    now=now,
                )
            )
        return ids


def _wait(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.05)


def _smtp(server: SmtpServer) -> SmtpTransport:
    return SmtpTransport(SmtpConfig(host=server.host, port=server.port, timeout=5))


def test_serve_sends_in_the_background_and_health_says_so(
    db: Database, smtp_server: SmtpServer
) -> None:
    cid = _campaign(db)
    service = SenderService(db, _smtp(smtp_server), poll_seconds=0.1)
    with TestClient(create_app(db, sender=service)) as client:
        r = client.get("/health")
        assert r.status_code == 200 and r.json()["ok"] is True
        (mid,) = _queue(db, cid, 1)
        _wait(lambda: len(smtp_server.inbox.received) == 1)
        _wait(lambda: service.state().sent == 1)
        body = client.get("/health").json()
        assert body["ok"] is True and body["database"] is True
        assert body["outbox"]["queued"] == 0 and body["outbox"]["failed"] == 0
        assert body["outbox"]["last_sent_at"] is not None
        assert body["sender"]["running"] is True and body["sender"]["problem"] is None
        assert client.get("/health").headers["cache-control"] == "no-store"
    assert service.state().running is False  # stopped with the app
    with db.session() as s:
        row = s.get(OutboxMessage, mid)
        assert row is not None and row.status == OutboxStatus.SENT


def test_health_is_503_when_the_outbox_falls_behind(sqlite_db: Database) -> None:
    cid = _campaign(sqlite_db)
    _queue(sqlite_db, cid, 2, now=utcnow() - dt.timedelta(minutes=10))
    client = TestClient(create_app(sqlite_db))  # no sender in this process (and none elsewhere)
    r = client.get("/health")
    assert r.status_code == 503
    body = r.json()
    assert body["ok"] is False and body["sender"] is None
    assert body["outbox"]["due"] == 2 and body["outbox"]["oldest_queued_seconds"] >= 600
    # a dead SMTP server: the sender keeps running, the message ages, health says so
    service = SenderService(
        sqlite_db,
        SmtpTransport(SmtpConfig(host="127.0.0.1", port=free_port(), timeout=1)),
        poll_seconds=0.1,
    )
    with TestClient(create_app(sqlite_db, sender=service)) as client:
        _wait(lambda: service.state().problem is not None)
        body = client.get("/health").json()
        assert body["ok"] is False and "svarer ikke" in body["sender"]["problem"]


def _serve(url: str, workspace: Path, port: int, smtp: SmtpServer) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PHONER_DB": url,
        "PHONER_SMTP_HOST": smtp.host,
        "PHONER_SMTP_PORT": str(smtp.port),
        "PHONER_SMTP_FROM": "kampagne@koege.dk",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "phoner", "serve", "--port", str(port), "--send-every", "0.1"],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"phoner serve did not start: {proc.communicate()[1]!r}")
            time.sleep(0.2)


@pytest.mark.slow
def test_kill_9_while_sending_loses_no_message(
    sqlite_db: Database, sqlite_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    db = sqlite_db
    cid = _campaign(db)
    ids = _queue(db, cid, 30)
    inbox = smtp_server.inbox
    inbox.delay = 0.15  # each message takes a while: the kill lands in the middle of a run
    port = free_port()
    proc = _serve(sqlite_url, tmp_path, port, smtp_server)
    try:
        _wait(lambda: len(inbox.received) >= 5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    with db.session() as s:
        rows = s.exec(select(OutboxMessage)).all()
        assert sum(r.status == OutboxStatus.SENDING for r in rows) <= 1
        assert {r.status for r in rows} <= {
            OutboxStatus.SENT,
            OutboxStatus.SENDING,
            OutboxStatus.QUEUED,
        }
    # a new phoner serve sends the rest; SIGTERM stops it cleanly (nothing left sending
    # but the killed process's claim)
    inbox.delay = 0.0
    proc = _serve(sqlite_url, tmp_path, port, smtp_server)
    try:

        def settled() -> bool:
            with db.session() as s:
                rows = s.exec(select(OutboxMessage)).all()
            return sum(r.status == OutboxStatus.QUEUED for r in rows) == 0

        _wait(settled)
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down (lifespan: the sender finishes and stops), then re-raises
        # the signal, so the exit status is SIGTERM's
        assert proc.wait(20) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
        _out, err = proc.communicate()
    assert b"Traceback" not in err
    with db.session() as s:
        sending = [r for r in s.exec(select(OutboxMessage)).all() if r.status == "sending"]
        assert len(sending) <= 1  # only the killed process's claim, never the stopped one's
    # the killed claim is re-queued once it is stale, and sent
    report = outbox.send_due(
        db, _smtp(smtp_server), now=utcnow() + outbox.STALE_AFTER + dt.timedelta(seconds=5)
    )
    assert report.requeued_stale <= 1
    with db.session() as s:
        rows = s.exec(select(OutboxMessage)).all()
        assert [r.id for r in rows if r.status == OutboxStatus.SENT] == ids
        expected = {r.message_id for r in rows}
    got = inbox.message_ids()
    assert set(got) == expected  # nothing lost
    assert len(got) - len(expected) <= 1  # at most the one in flight went twice

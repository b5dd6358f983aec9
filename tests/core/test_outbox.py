"""The outbox: enqueue in the caller's transaction, claim, send over real SMTP, retry."""

from __future__ import annotations

import datetime as dt
import os
import stat
import threading
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import select

from phoner.core import outbox
from phoner.core.booking import service as bk
from phoner.core.db import Database
from phoner.core.errors import InvalidInput
from phoner.core.mail import (
    EmlFolder,
    OutgoingMail,
    SmtpConfig,
    SmtpTransport,
    is_placeholder,
)
from phoner.core.models import Campaign, OutboxMessage, OutboxStatus
from phoner.core.reports.dashboard import dashboard
from tests.support.booking import NOW, at, clear_outbox, make_world
from tests.support.smtp import SmtpServer, free_port

T0 = NOW


def _message(subject: str, body: str = "Hej") -> EmailMessage:
    m = EmailMessage()
    m["Subject"] = subject
    m.set_content(body)
    return m


def _world(db: Database, mailbox: str | None = "kampagne@koege.dk") -> tuple[int, int]:
    """(campaign id, booking id) with the campaign's mailbox set."""
    w = make_world(db)
    with db.session(write=True) as s:
        camp = s.get(Campaign, w.campaign_id)
        assert camp is not None
        camp.mailbox = mailbox
        s.add(camp)
    b = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=w.consultant_ids[0],
        start=at("2027-03-30", "09:00"),
        booked_by="t",
        now=NOW,
    )
    assert b.id is not None
    clear_outbox(db)  # the booking's own invitations: tested in test_notify.py
    return w.campaign_id, b.id


def _enqueue(
    db: Database,
    campaign_id: int,
    subject: str,
    *,
    to: str = "k0@koege.demo.dk",
    booking_id: int | None = None,
    sequence: int = 0,
    kind: str = "invitation",
    now: dt.datetime = T0,
) -> int:
    with db.session(write=True) as s:
        return outbox.enqueue(
            s,
            message=_message(subject),
            recipient=to,
            kind=kind,
            campaign_id=campaign_id,
            booking_id=booking_id,
            sequence=sequence,
            now=now,
        )


def _smtp(server: SmtpServer, sender: str | None = None) -> SmtpTransport:
    return SmtpTransport(SmtpConfig(host=server.host, port=server.port, sender=sender, timeout=5))


def _row(db: Database, mid: int) -> OutboxMessage:
    with db.session() as s:
        row = s.get(OutboxMessage, mid)
        assert row is not None
        return row


def test_enqueue_is_part_of_the_callers_transaction(db: Database) -> None:
    cid, bid = _world(db)
    with pytest.raises(RuntimeError), db.session(write=True) as s:
        outbox.enqueue(
            s, message=_message("x"), recipient="a@b.dk", kind="reminder", campaign_id=cid
        )
        raise RuntimeError("the change that caused it fails")
    with db.session() as s:
        assert s.exec(select(OutboxMessage)).all() == []
    mid = _enqueue(db, cid, "Invitation", booking_id=bid)
    row = _row(db, mid)
    assert row.status == OutboxStatus.QUEUED and row.message_id.endswith("@koege.dk>")
    assert b"Message-ID: " + row.message_id.encode() in row.message
    assert b"\r\nTo: k0@koege.demo.dk\r\n" in row.message
    with db.session(write=True) as s, pytest.raises(InvalidInput):
        outbox.enqueue(s, message=_message("x"), recipient="ingen", kind="notice", campaign_id=cid)


def test_sent_over_smtp_once_with_the_campaigns_mailbox(
    db: Database, smtp_server: SmtpServer
) -> None:
    cid, bid = _world(db)
    mid = _enqueue(db, cid, "Besøg hos Hansen", booking_id=bid)
    report = outbox.send_due(db, _smtp(smtp_server, "fallback@kommune.dk"), now=T0)
    assert [d.id for d in report.sent] == [mid] and report.problem is None
    (got,) = smtp_server.inbox.received
    assert got.mail_from == "kampagne@koege.dk" and got.rcpt_tos == ["k0@koege.demo.dk"]
    msg = got.message
    assert msg["From"] == "kampagne@koege.dk" and msg["Subject"] == "Besøg hos Hansen"
    assert msg["Message-ID"] == _row(db, mid).message_id
    row = _row(db, mid)
    assert row.status == OutboxStatus.SENT and row.sent_at == T0 and row.attempts == 1
    assert outbox.send_due(db, _smtp(smtp_server), now=T0 + dt.timedelta(hours=1)).sent == []
    assert len(smtp_server.inbox.received) == 1


def test_temporary_refusal_is_retried_with_backoff(db: Database, smtp_server: SmtpServer) -> None:
    cid, _bid = _world(db)
    mid = _enqueue(db, cid, "Påmindelse")
    smtp_server.inbox.replies = ["451 4.3.0 Midlertidig fejl", "421 4.7.0 Prøv senere"]
    report = outbox.send_due(db, _smtp(smtp_server), now=T0)
    assert report.sent == [] and [(r.reason, r.final) for r in report.refused] == [
        ("451 4.3.0 Midlertidig fejl", False)
    ]
    row = _row(db, mid)
    assert row.status == OutboxStatus.QUEUED and row.next_attempt_at == T0 + dt.timedelta(
        seconds=30
    )
    assert row.last_error == "451 4.3.0 Midlertidig fejl"
    # not before the backoff has passed
    assert outbox.send_due(db, _smtp(smtp_server), now=T0 + dt.timedelta(seconds=29)).refused == []
    t1 = T0 + dt.timedelta(seconds=30)
    assert outbox.send_due(db, _smtp(smtp_server), now=t1).refused[0].reason.startswith("421")
    assert _row(db, mid).next_attempt_at == t1 + dt.timedelta(minutes=1)  # doubled
    t2 = t1 + dt.timedelta(minutes=1)
    assert [d.id for d in outbox.send_due(db, _smtp(smtp_server), now=t2).sent] == [mid]
    assert _row(db, mid).attempts == 3 and _row(db, mid).last_error is None
    assert len(smtp_server.inbox.received) == 1
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 10, 50)] == [
        30,
        60,
        120,
        3600,
        3600,
    ]


def test_permanent_refusal_fails_shows_on_dashboard_and_can_be_retried(
    db: Database, smtp_server: SmtpServer
) -> None:
    cid, _bid = _world(db)
    bad = _enqueue(db, cid, "Til en ukendt", to="findes.ikke@koege.dk")
    good = _enqueue(db, cid, "Til en kendt")
    smtp_server.inbox.replies = ["550 5.1.1 Mailbox unavailable"]
    report = outbox.send_due(db, _smtp(smtp_server), now=T0)
    assert [d.id for d in report.sent] == [good]  # the next one still goes
    assert [(f.id, f.reason) for f in report.failed] == [(bad, "550 5.1.1 Mailbox unavailable")]
    row = _row(db, bad)
    assert row.status == OutboxStatus.FAILED and row.last_error == "550 5.1.1 Mailbox unavailable"
    with db.session() as s:
        camp = s.get(Campaign, cid)
        assert camp is not None
        board = dashboard(session=s, campaign=camp, today=dt.date(2027, 3, 22))
        summary = outbox.summary(s, now=T0)
    assert (board.outbox_failed, board.outbox_waiting) == (1, 0)
    assert [f.last_error for f in summary.failed] == ["550 5.1.1 Mailbox unavailable"]
    assert outbox.retry(db, bad, now=T0 + dt.timedelta(hours=1)) == "findes.ikke@koege.dk"
    with pytest.raises(InvalidInput, match="allerede sendt"):
        outbox.retry(db, good)
    report = outbox.send_due(db, _smtp(smtp_server), now=T0 + dt.timedelta(hours=1))
    assert [d.id for d in report.sent] == [bad] and _row(db, bad).status == OutboxStatus.SENT


def test_one_bookings_messages_leave_in_order(db: Database, smtp_server: SmtpServer) -> None:
    cid, bid = _world(db)
    cancel = _enqueue(db, cid, "CANCEL", booking_id=bid, sequence=1, kind="cancellation")
    request = _enqueue(db, cid, "REQUEST", booking_id=bid, sequence=0)  # later id, lower sequence
    other = _enqueue(db, cid, "REQUEST til virksomheden", to="aase@hansen.dk", booking_id=bid)
    smtp_server.inbox.replies = ["451 4.4.1 Ingen forbindelse"]
    report = outbox.send_due(db, _smtp(smtp_server), now=T0)
    # the REQUEST was refused for now: its CANCEL waits; another recipient's message goes
    assert [r.id for r in report.refused] == [request]
    assert [d.id for d in report.sent] == [other]
    assert _row(db, cancel).status == OutboxStatus.QUEUED and _row(db, cancel).attempts == 0
    with db.session() as s:
        assert outbox.summary(s, now=T0).due == 0  # the CANCEL is not sendable yet
    report = outbox.send_due(db, _smtp(smtp_server), now=T0 + dt.timedelta(minutes=1))
    assert [d.id for d in report.sent] == [request, cancel]
    assert [r.message["Subject"] for r in smtp_server.inbox.received] == [
        "REQUEST til virksomheden",
        "REQUEST",
        "CANCEL",
    ]


def test_a_failed_message_holds_back_the_later_ones(db: Database, smtp_server: SmtpServer) -> None:
    cid, bid = _world(db)
    request = _enqueue(db, cid, "REQUEST", booking_id=bid, sequence=0)
    cancel = _enqueue(db, cid, "CANCEL", booking_id=bid, sequence=1, kind="cancellation")
    smtp_server.inbox.replies = ["554 5.7.1 Afvist"]
    report = outbox.send_due(db, _smtp(smtp_server), now=T0)
    assert [f.id for f in report.failed] == [request] and report.sent == []
    assert _row(db, cancel).status == OutboxStatus.QUEUED
    outbox.retry(db, request, now=T0)
    assert [d.id for d in outbox.send_due(db, _smtp(smtp_server), now=T0).sent] == [request, cancel]


class _Crash(BaseException):
    """kill -9 between the send and the mark (nothing after it runs)."""


class _CrashAfterSend:
    name = "smtp"
    description = "test"
    needs_real_sender = True
    default_sender = "kampagne@koege.dk"

    def __init__(self, inner: SmtpTransport) -> None:
        self.inner = inner

    def send(self, mail: OutgoingMail) -> None:
        self.inner.send(mail)
        raise _Crash

    def close(self) -> None:
        self.inner.close()


def test_crash_after_send_before_mark_sends_at_most_once_more(
    db: Database, smtp_server: SmtpServer
) -> None:
    cid, _bid = _world(db)
    mid = _enqueue(db, cid, "Invitation")
    with pytest.raises(_Crash):
        outbox.send_due(db, _CrashAfterSend(_smtp(smtp_server)), now=T0)
    assert _row(db, mid).status == OutboxStatus.SENDING
    # a running sender does not take a fresh claim
    assert outbox.send_due(db, _smtp(smtp_server), now=T0 + dt.timedelta(minutes=5)).sent == []
    later = T0 + outbox.STALE_AFTER + dt.timedelta(seconds=1)
    report = outbox.send_due(db, _smtp(smtp_server), now=later)
    assert report.requeued_stale == 1 and [d.id for d in report.sent] == [mid]
    assert outbox.send_due(db, _smtp(smtp_server), now=later + dt.timedelta(hours=1)).sent == []
    assert smtp_server.inbox.message_ids() == [_row(db, mid).message_id] * 2


def test_two_senders_at_once_never_send_a_message_twice(
    db: Database, smtp_server: SmtpServer
) -> None:
    cid, _bid = _world(db)
    with db.session(write=True) as s:
        ids = [
            outbox.enqueue(
                s,
                message=_message(f"nr {i}"),
                recipient=f"k{i}@koege.demo.dk",
                kind="reminder",
                campaign_id=cid,
                now=T0,
            )
            for i in range(40)
        ]
    start = threading.Barrier(3)
    reports: list[outbox.SendReport] = []

    def run() -> None:
        start.wait()
        reports.append(outbox.send_due(db, _smtp(smtp_server), now=T0))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sent = sorted(d.id for r in reports for d in r.sent)
    assert sent == ids
    got = smtp_server.inbox.message_ids()
    assert len(got) == 40 and len(set(got)) == 40


def test_placeholder_sender_is_refused_over_smtp(db: Database, smtp_server: SmtpServer) -> None:
    cid, _bid = _world(db, mailbox=None)
    mid = _enqueue(db, cid, "Påmindelse")
    report = outbox.send_due(db, _smtp(smtp_server, sender="ikke-svar@phoner.local"), now=T0)
    assert report.sent == [] and report.problem is not None
    assert "ikke en rigtig adresse" in report.problem and report.waiting == 1
    assert smtp_server.inbox.received == [] and _row(db, mid).attempts == 0
    report = outbox.send_due(db, _smtp(smtp_server, sender="kampagne@koege.dk"), now=T0)
    assert [d.id for d in report.sent] == [mid] and report.problem is None
    assert is_placeholder(None) and is_placeholder("x@jobcenter.local")
    assert not is_placeholder("kampagne@koege.dk")


def test_unreachable_server_defers_and_stops_the_run(db: Database) -> None:
    cid, _bid = _world(db)
    first = _enqueue(db, cid, "1")
    second = _enqueue(db, cid, "2")
    dead = SmtpTransport(SmtpConfig(host="127.0.0.1", port=free_port(), timeout=2))
    report = outbox.send_due(db, dead, now=T0)
    assert [r.id for r in report.refused] == [first] and report.problem is not None
    assert "svarer ikke" in report.problem and report.waiting == 2
    assert _row(db, second).attempts == 0  # not tried against a dead server
    with db.session() as s:
        h = outbox.health(s, now=T0 + dt.timedelta(minutes=6))
    assert not h.ok and h.due == 2 and h.oldest_waiting_seconds == 360.0
    # Before its next attempt the deferred one is not due, and the other waits behind
    # nothing: still an e-mail undelivered for 6 minutes (health flapped to ok here).
    with db.session() as s:
        h = outbox.health(s, now=T0 + dt.timedelta(seconds=20))
    assert h.ok and h.oldest_waiting_seconds == 20.0
    with db.session(write=True) as s:
        for mid in (first, second):  # both in backoff, as after a few passes
            row = s.get(OutboxMessage, mid)
            assert row is not None
            row.next_attempt_at = T0 + dt.timedelta(minutes=10)
            s.add(row)
    with db.session() as s:
        h = outbox.health(s, now=T0 + dt.timedelta(minutes=6))
    assert not h.ok and h.due == 0 and h.oldest_waiting_seconds == 360.0


def test_eml_folder_without_smtp(sqlite_db: Database, tmp_path: Path) -> None:
    cid, bid = _world(sqlite_db, mailbox=None)
    mid = _enqueue(sqlite_db, cid, "Påmindelse", booking_id=bid, kind="reminder")
    folder = tmp_path / "udbakke"
    report = outbox.send_due(sqlite_db, EmlFolder(folder), now=T0)
    assert [d.id for d in report.sent] == [mid]
    (f,) = folder.iterdir()
    assert f.name == f"{mid:06d}-reminder-besoeg{bid}-v0.eml"
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    text = f.read_bytes()
    assert text.startswith(b"From: ikke-svar@phoner.local\r\n") and b"Subject: " in text


def test_a_gdpr_purge_removes_the_emails_about_purged_visits(sqlite_db: Database) -> None:
    from phoner.core import gdpr, reminders

    db = sqlite_db
    cid, bid = _world(db)
    queued = reminders.queue_due(db=db, now=at("2027-03-24", "08:00")).queued
    assert [m.booking_id for m in queued] == [bid]
    with db.session() as s:
        (row,) = s.exec(select(OutboxMessage)).all()
        assert row.booking_id == bid and row.kind == "reminder"
    gdpr.purge_campaign(
        db=db, campaign="Forår 2027", older_than_days=0, actor="dpo", now=at("2027-06-01", "08:00")
    )
    with db.session() as s:
        assert s.exec(select(OutboxMessage)).all() == []
    assert cid

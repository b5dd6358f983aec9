"""Reminders to companies and notices to consultants: SMTP (aiosmtpd) and .eml files."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from sqlmodel import select

from phoner.core import reminders as rem
from phoner.core import visits
from phoner.core.booking import service as bk
from phoner.core.db import Database
from phoner.core.mail import EmlFolder, SmtpConfig, SmtpTransport
from phoner.core.models import (
    Booking,
    CancelReason,
    CompanyCancelReason,
    Consultant,
    Delivery,
    MeetingStatus,
    OutboxMessage,
    OutboxStatus,
)
from tests.support.booking import NOW, at, clear_outbox, make_world
from tests.support.smtp import SmtpServer, free_port


def _sent(result: rem.SendResult) -> list[tuple[str, int | None]]:
    return [(d.kind, d.booking_id) for d in result.outbox.sent]


def test_reminders_and_notices_sent_once_over_smtp(db: Database, smtp_server: SmtpServer) -> None:
    inbox = smtp_server.inbox
    w = make_world(db)
    c1, c2 = w.consultant_ids
    with db.session(write=True) as s:  # on the feed alone: they get change notices
        for c in s.exec(select(Consultant)).all():
            c.delivery = Delivery.FEED
    b1 = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c1,
        start=at("2027-03-30", "09:00"),
        booked_by="t",
        contact_email="kontakt@hansen.dk",
        now=NOW,
    )
    b2 = bk.book_visit(
        db=db,
        company_id=w.other_company_id,
        consultant_id=c2,
        start=at("2027-03-31", "10:00"),
        booked_by="t",
        now=NOW,
    )
    clear_outbox(db)  # the confirmation to the company (test_notify.py)
    smtp = SmtpTransport(
        SmtpConfig(host=smtp_server.host, port=smtp_server.port, sender="kampagne@jobcenter.dk")
    )
    # Monday 22 March: nothing due (reminder 1 working day before = Wednesday 24 March,
    # since Thursday-Monday are Easter holidays)
    assert rem.send_due(db=db, transport=smtp, now=NOW).queued == []
    # Wednesday 24 March: the reminder for Tuesday's visit is due
    wed = at("2027-03-24", "08:00")
    result = rem.send_due(db=db, transport=smtp, now=wed)
    assert _sent(result) == [("reminder", b1.id)]
    # the other company has no e-mail: reported, not sent (due from Tuesday 30 March)
    tue = at("2027-03-30", "07:00")
    result = rem.send_due(db=db, transport=smtp, now=tue)
    assert result.queued == [] and [bid for bid, _ in result.skipped] == [b2.id]
    assert "ingen e-mailadresse" in result.skipped[0][1]
    assert len(inbox.received) == 1
    got = inbox.received[0]
    assert got.mail_from == "kampagne@jobcenter.dk" and got.rcpt_tos == ["kontakt@hansen.dk"]
    msg = got.message
    assert msg["From"] == "kampagne@jobcenter.dk"
    assert msg["Subject"].startswith("Påmindelse: besøg fra Jobcenter Køge tirsdag den 30.03.2027")
    body = msg.get_content()
    assert "Kære Åse Kjær" in body and "kl. 09.00–10.00" in body and "Nørregade 12" in body
    # a change and a cancellation: the consultants are told, once each
    bk.move_booking(
        db=db, booking_id=b1.id or 0, start=at("2027-04-01", "13:00"), actor="t", now=wed
    )
    bk.cancel_booking(
        db=db, booking_id=b2.id or 0, reason=CancelReason.COMPANY_CANCELLED, actor="t", now=wed
    )
    result = rem.send_due(db=db, transport=smtp, now=wed)
    assert sorted((m.kind, m.recipient) for m in result.outbox.sent) == [
        ("invitation", "kontakt@hansen.dk"),  # the move, to the company's calendar
        ("notice", "k0@koege.demo.dk"),
        ("notice", "k1@koege.demo.dk"),
    ]
    subjects = sorted(
        r.message["Subject"] for r in inbox.received[1:] if r.rcpt_tos != ["kontakt@hansen.dk"]
    )
    assert subjects[0].startswith("Aflyst: virksomhedsbesøg hos Køge Bageri")
    assert subjects[1].startswith("Flyttet: virksomhedsbesøg hos Hansen")
    assert rem.send_due(db=db, transport=smtp, now=wed).outbox.sent == []
    # the moved visit gets a new reminder before its new date
    result = rem.send_due(db=db, transport=smtp, now=at("2027-03-31", "08:00"))
    assert _sent(result) == [("reminder", b1.id)]
    with db.session() as s:
        b = s.get(Booking, b1.id)
        assert b is not None and b.reminder_sent_at is not None
        assert b.consultant_notified_at is not None


def test_unreachable_server_keeps_the_reminder_queued_then_eml_files(
    sqlite_db: Database, tmp_path: Path
) -> None:
    db = sqlite_db
    w = make_world(db)
    b = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=w.consultant_ids[0],
        start=at("2027-03-30", "09:00"),
        booked_by="t",
        now=NOW,
    )
    clear_outbox(db)
    wed = at("2027-03-24", "08:00")
    dead = SmtpTransport(
        SmtpConfig(host="127.0.0.1", port=free_port(), timeout=2, sender="a@koege.dk")
    )
    result = rem.send_due(db=db, transport=dead, now=wed)
    assert [m.booking_id for m in result.queued] == [b.id] and result.outbox.sent == []
    assert result.outbox.problem is not None and "svarer ikke" in result.outbox.problem
    with db.session() as s:
        (row,) = s.exec(select(OutboxMessage)).all()
        assert row.status == OutboxStatus.QUEUED and row.last_error  # waits for a retry
    # queued once: a second run does not queue it again, it sends the waiting one
    out = tmp_path / "udbakke"
    later = at("2027-03-24", "09:00")
    result = rem.send_due(db=db, transport=EmlFolder(out), now=later)
    assert result.queued == [] and [d.booking_id for d in result.outbox.sent] == [b.id]
    files = list(out.glob("*.eml"))
    assert [f.name for f in files] == [f"{row.id:06d}-reminder-besoeg{b.id}-v0.eml"]
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["To"] == "aase@hansen.dk" and "Påmindelse" in msg["Subject"]
    assert rem.send_due(db=db, transport=EmlFolder(out), now=later).outbox.sent == []


def test_smtp_config_from_env() -> None:
    assert SmtpConfig.from_env({}) is None
    assert rem.SmtpConfig is SmtpConfig  # still importable from its old place
    cfg = SmtpConfig.from_env(
        {
            "PHONER_SMTP_HOST": "smtp.kommune.dk",
            "PHONER_SMTP_PORT": "587",
            "PHONER_SMTP_STARTTLS": "ja",
            "PHONER_SMTP_FROM": "a@b.dk",
        }
    )
    assert cfg == SmtpConfig(host="smtp.kommune.dk", port=587, sender="a@b.dk", starttls=True)
    bare = SmtpConfig.from_env({"PHONER_SMTP_HOST": "smtp.kommune.dk"})
    assert bare is not None and bare.sender is None  # no placeholder sender for SMTP


def test_no_reminder_for_a_visit_registered_as_cancelled_before_the_day(db: Database) -> None:
    # The consultant registered "aflyst af virksomheden" on the visit page a week before;
    # the company still got "Påmindelse: besøg … i morgen" for the visit it had cancelled.
    w = make_world(db)
    c1, c2 = w.consultant_ids
    cancelled = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=c1,
        start=at("2027-03-30", "09:00"),
        booked_by="t",
        contact_email="kontakt@hansen.dk",
        now=NOW,
    )
    kept = bk.book_visit(
        db=db,
        company_id=w.other_company_id,
        consultant_id=c2,
        start=at("2027-03-30", "10:00"),
        booked_by="t",
        contact_email="kontakt@bageri.dk",
        now=NOW,
    )
    clear_outbox(db)
    with db.session(write=True) as s:
        visits.record_visit_result(
            session=s,
            booking_id=cancelled.id or 0,
            status=MeetingStatus.AFLYST_AF_VIRKSOMHEDEN,
            company_cancel_reason=CompanyCancelReason.TRAVLHED,
            actor="k0",
            now=NOW,
        )
    with db.session() as s:
        due, skipped = rem.due_messages(session=s, now=at("2027-03-24", "08:00"))
    assert [(m.kind, m.booking_id) for m in due] == [("reminder", kept.id)]
    assert skipped == []

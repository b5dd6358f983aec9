"""Reminders to companies and notices to consultants: SMTP (aiosmtpd) and .eml files."""

from __future__ import annotations

import datetime as dt
import email
import socket
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from phoner.core import reminders as rem
from phoner.core.booking import service as bk
from phoner.core.db import Database
from phoner.core.errors import PhonerError
from phoner.core.models import Booking, CancelReason
from tests.support.booking import NOW, at, make_world


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content)  # type: ignore[attr-defined]
        )
        return "250 OK"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> tuple[_Inbox, int]:
    inbox = _Inbox()
    port = _port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port  # type: ignore[misc]
    controller.stop()


def test_reminders_and_notices_sent_once_over_smtp(
    db: Database, smtp_server: tuple[_Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_server
    w = make_world(db)
    c1, c2 = w.consultant_ids
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
    smtp = rem.SmtpConfig(host="127.0.0.1", port=port, sender="kampagne@jobcenter.dk")
    # Monday 22 March: nothing due (reminder 1 working day before = Wednesday 24 March,
    # since Thursday-Monday are Easter holidays)
    assert rem.send_due(db=db, out_dir=tmp_path, smtp=smtp, now=NOW).sent == []
    # Wednesday 24 March: the reminder for Tuesday's visit is due
    wed = at("2027-03-24", "08:00")
    result = rem.send_due(db=db, out_dir=tmp_path, smtp=smtp, now=wed)
    assert [(m.kind, m.booking_id) for m in result.sent] == [("reminder", b1.id)]
    # the other company has no e-mail: reported, not sent (due from Tuesday 30 March)
    tue = at("2027-03-30", "07:00")
    result = rem.send_due(db=db, out_dir=tmp_path, smtp=smtp, now=tue)
    assert result.sent == [] and [bid for bid, _ in result.skipped] == [b2.id]
    assert "ingen e-mailadresse" in result.skipped[0][1]
    assert len(inbox.messages) == 1
    sender, rcpts, raw = inbox.messages[0]
    assert sender == "kampagne@jobcenter.dk" and rcpts == ["kontakt@hansen.dk"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"].startswith("Påmindelse: besøg fra Jobcenter Køge tirsdag den 30.03.2027")
    body = msg.get_content()
    assert "Kære Åse Kjær" in body and "kl. 09:00–10:00" in body and "Nørregade 12" in body
    # a change and a cancellation: the consultants are told, once each
    bk.move_booking(
        db=db, booking_id=b1.id or 0, start=at("2027-04-01", "13:00"), actor="t", now=wed
    )
    bk.cancel_booking(
        db=db, booking_id=b2.id or 0, reason=CancelReason.COMPANY_CANCELLED, actor="t", now=wed
    )
    result = rem.send_due(db=db, out_dir=tmp_path, smtp=smtp, now=wed)
    assert sorted((m.kind, m.to) for m in result.sent) == [
        ("notice", "k0@koege.demo.dk"),
        ("notice", "k1@koege.demo.dk"),
    ]
    subjects = sorted(
        email.message_from_bytes(raw, policy=policy.default)["Subject"]
        for _s, _r, raw in inbox.messages[1:]
    )
    assert subjects[0].startswith("Aflyst: virksomhedsbesøg hos Køge Bageri")
    assert subjects[1].startswith("Flyttet: virksomhedsbesøg hos Hansen")
    assert rem.send_due(db=db, out_dir=tmp_path, smtp=smtp, now=wed).sent == []
    # the moved visit gets a new reminder before its new date
    result = rem.send_due(db=db, out_dir=tmp_path, smtp=smtp, now=at("2027-03-31", "08:00"))
    assert [(m.kind, m.booking_id) for m in result.sent] == [("reminder", b1.id)]
    with db.session() as s:
        b = s.get(Booking, b1.id)
        assert b is not None and b.reminder_sent_at is not None
        assert b.consultant_notified_at is not None


def test_eml_files_without_smtp_and_failed_send_is_retried(
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
    wed = at("2027-03-24", "08:00")
    dead = rem.SmtpConfig(host="127.0.0.1", port=_port(), timeout=2)
    with pytest.raises(PhonerError) as info:
        rem.send_due(db=db, out_dir=tmp_path, smtp=dead, now=wed)
    assert "Kunne ikke sende til aase@hansen.dk" in info.value.message
    with db.session() as s:
        again = s.exec(select(Booking).where(Booking.id == b.id)).one()
        assert again.reminder_sent_at is None  # claim released: the next run retries
    out = tmp_path / "udbakke"
    result = rem.send_due(db=db, out_dir=out, smtp=None, now=wed)
    assert result.via == "eml" and len(result.sent) == 1
    files = list(out.glob("*.eml"))
    assert [f.name for f in files] == [f"reminder-besoeg{b.id}-v0.eml"]
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["To"] == "aase@hansen.dk" and "Påmindelse" in msg["Subject"]
    assert rem.send_due(db=db, out_dir=out, now=wed).sent == []


def test_smtp_config_from_env() -> None:
    assert rem.SmtpConfig.from_env({}) is None
    cfg = rem.SmtpConfig.from_env(
        {
            "PHONER_SMTP_HOST": "smtp.kommune.dk",
            "PHONER_SMTP_PORT": "587",
            "PHONER_SMTP_STARTTLS": "ja",
            "PHONER_SMTP_FROM": "a@b.dk",
        }
    )
    assert cfg == rem.SmtpConfig(host="smtp.kommune.dk", port=587, sender="a@b.dk", starttls=True)
    _ = dt

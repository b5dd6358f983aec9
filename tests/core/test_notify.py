"""Booking changes queue their invitations in the outbox, in the change's transaction
(core.notify): who gets which METHOD, SEQUENCE and UID, and who gets nothing."""

from __future__ import annotations

import datetime as dt
import email
from email.policy import default

import pytest
from sqlmodel import col, select

from phoner.core import notify, outbox
from phoner.core import reminders as rem
from phoner.core import visit_pages as vp
from phoner.core.booking import service as bk
from phoner.core.booking.writes import book, move
from phoner.core.db import Database
from phoner.core.mail import SmtpConfig, SmtpTransport
from phoner.core.models import (
    Booking,
    Campaign,
    CancelReason,
    Company,
    Consultant,
    Delivery,
    OutboxMessage,
)
from tests.support.booking import NOW, World, at, book_world_visit, make_world
from tests.support.imip import calendar_bytes, open_invitation, text_body
from tests.support.pages import BASE, client, clock_at, page_world
from tests.support.smtp import SmtpServer

LATER = NOW + dt.timedelta(minutes=10)
K0, K1, COMPANY = "k0@koege.demo.dk", "k1@koege.demo.dk", "aase@hansen.dk"

Row = tuple[str, str, str, int, str]  # recipient, kind, METHOD, SEQUENCE, UID


def _rows(db: Database, after: int = 0) -> list[Row]:
    """The outbox after id ``after``, in queue order, each invitation opened."""
    with db.session() as s:
        found = s.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.id) > after)
            .order_by(col(OutboxMessage.id))
        ).all()
    out: list[Row] = []
    for r in found:
        method, sequence, uid, _ = open_invitation(r.message)
        assert r.sequence == sequence
        out.append((r.recipient, str(r.kind), method, sequence, uid))
    return out


def _last_id(db: Database) -> int:
    with db.session() as s:
        ids = s.exec(select(OutboxMessage.id)).all()
    return max((i for i in ids if i is not None), default=0)


def _world(db: Database, mailbox: str | None = "booking@koege.dk", **kw: object) -> World:
    w = make_world(db, consultants=2, **kw)
    with db.session(write=True) as s:
        camp = s.get(Campaign, w.campaign_id)
        assert camp is not None
        camp.mailbox = mailbox
    return w


def _book(db: Database, w: World, consultant: int = 0, **kw: object) -> tuple[int, str]:
    view = book_world_visit(db, w, consultant=consultant, **kw)
    return view.id, view.uid


def _delivery(db: Database, consultant_id: int, delivery: Delivery) -> None:
    with db.session(write=True) as s:
        c = s.get(Consultant, consultant_id)
        assert c is not None
        c.delivery = delivery


def test_each_change_queues_exactly_its_invitations(db: Database) -> None:
    w = _world(db)
    bid, uid = _book(db, w)
    assert _rows(db) == [
        (K0, "invitation", "REQUEST", 0, uid),
        (COMPANY, "confirmation", "REQUEST", 0, uid),
    ]
    mark = _last_id(db)
    bk.move_booking(db=db, booking_id=bid, start=at("2027-03-24", "13:00"), actor="x", now=LATER)
    assert _rows(db, mark) == [
        (K0, "invitation", "REQUEST", 1, uid),
        (COMPANY, "invitation", "REQUEST", 1, uid),
    ]
    mark = _last_id(db)
    new = bk.move_booking(
        db=db,
        booking_id=bid,
        start=at("2027-03-30", "10:00"),
        actor="x",
        consultant_id=w.consultant_ids[1],
        now=LATER,
    )
    assert _rows(db, mark) == [
        (K0, "cancellation", "CANCEL", 2, uid),
        (K1, "invitation", "REQUEST", 0, new.uid),
        # the company's one event: the same UID, SEQUENCE one up, the new consultant
        (COMPANY, "invitation", "REQUEST", 2, uid),
    ]
    with db.session() as s:
        company_rows = s.exec(
            select(OutboxMessage.booking_id).where(OutboxMessage.recipient == COMPANY)
        ).all()
    assert set(company_rows) == {bid}  # kept in order with the first booking's messages
    mark = _last_id(db)
    bk.cancel_booking(db=db, booking_id=new.id, reason=CancelReason.CONSULTANT_CANCELLED, actor="k")
    assert _rows(db, mark) == [
        (K1, "cancellation", "CANCEL", 1, new.uid),
        (COMPANY, "cancellation", "CANCEL", 3, uid),
    ]
    with db.session() as s:
        raw = s.exec(select(OutboxMessage.message).order_by(col(OutboxMessage.id).desc())).first()
    assert raw is not None and open_invitation(raw)[3] == "CANCELLED"
    msg = email.message_from_bytes(raw, policy=default)
    assert msg["From"].addresses[0].addr_spec == "booking@koege.dk"


def test_a_rolled_back_change_queues_nothing(db: Database) -> None:
    w = _world(db)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.session(write=True) as s:
        booking = book(
            s,
            company_id=w.company_id,
            consultant_id=w.consultant_ids[0],
            start=at("2027-03-24", "09:00"),
            booked_by="t",
            now=NOW,
        )
        assert booking.id is not None
        result = notify.booking_changed(s, booking_id=booking.id, change="book", now=NOW)
        assert len(result.queued) == 2
        assert len(s.exec(select(OutboxMessage)).all()) == 2  # in this transaction
        raise Boom()
    assert _rows(db) == []
    with db.session() as s:
        assert s.exec(select(Booking)).all() == []


def test_feed_only_consultant_gets_no_invitation_but_the_notice(sqlite_db: Database) -> None:
    db = sqlite_db
    w = _world(db)
    _delivery(db, w.consultant_ids[0], Delivery.FEED)
    _delivery(db, w.consultant_ids[1], Delivery.BOTH)
    bid, uid = _book(db, w)
    assert _rows(db) == [(COMPANY, "confirmation", "REQUEST", 0, uid)]
    mark = _last_id(db)
    new = bk.move_booking(
        db=db,
        booking_id=bid,
        start=at("2027-03-30", "10:00"),
        actor="x",
        consultant_id=w.consultant_ids[1],
        now=LATER,
    )
    # no CANCEL to the feed consultant; the one on "both" gets the invitation
    assert _rows(db, mark) == [
        (K1, "invitation", "REQUEST", 0, new.uid),
        (COMPANY, "invitation", "REQUEST", 1, uid),
    ]
    # change notices: the feed consultant's cancelled visit only, never the "both" one's
    with db.session() as s:
        due, _ = rem.due_messages(session=s, now=LATER)
    assert [(m.kind, m.to, m.booking_id) for m in due if m.kind == "notice"] == [
        ("notice", K0, bid)
    ]
    bk.move_booking(db=db, booking_id=new.id, start=at("2027-03-30", "13:00"), actor="x", now=LATER)
    with db.session() as s:
        due, _ = rem.due_messages(session=s, now=LATER)
    assert [m.booking_id for m in due if m.kind == "notice"] == [bid]


def test_no_company_address_consultant_only_with_the_reason(sqlite_db: Database) -> None:
    db = sqlite_db
    w = _world(db)
    view = bk.book_visit(
        db=db,
        company_id=w.other_company_id,  # Køge Bageri has no e-mail address
        consultant_id=w.consultant_ids[1],
        start=at("2027-03-24", "09:00"),
        booked_by="t",
        now=NOW,
    )
    assert _rows(db) == [(K1, "invitation", "REQUEST", 0, view.uid)]
    with db.session() as s:
        result = notify.booking_changed(s, booking_id=view.id, change="update", now=NOW)
        s.rollback()
    assert [q.recipient for q in result.queued] == [K1]
    assert result.skipped == (
        "Køge Bageri: ingen e-mailadresse til kalenderinvitationen (ring i stedet).",
    )


def test_a_change_of_what_the_event_shows_sends_a_request_to_both(db: Database) -> None:
    w = _world(db)
    bid, uid = _book(db, w)
    mark = _last_id(db)
    with db.session(write=True) as s:
        company = s.get(Company, w.company_id)
        assert company is not None
        company.phones = ["+4556781234"]
    assert _rows(db, mark) == [
        (K0, "invitation", "REQUEST", 1, uid),
        (COMPANY, "invitation", "REQUEST", 1, uid),
    ]
    with db.session() as s:
        (req, _) = s.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.id) > mark)
            .order_by(col(OutboxMessage.id))
        ).all()
    msg = email.message_from_bytes(req.message, policy=default)
    assert "56 78 12 34" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # a contact edited in the transaction of a move: the move's messages only, once
    mark = _last_id(db)
    with db.session(write=True) as s:
        company = s.get(Company, w.company_id)
        assert company is not None
        company.contact_person = "Bo Hansen"
        booking = s.get(Booking, bid)
        assert booking is not None
        move(s, booking_id=bid, start=at("2027-03-24", "13:00"), actor="x", now=LATER)
        notify.booking_changed(s, booking_id=bid, change="move", now=LATER)
    got = _rows(db, mark)
    assert [(r[0], r[2]) for r in got] == [(K0, "REQUEST"), (COMPANY, "REQUEST")]
    # a read-only transaction and one with no shown change queue nothing
    mark = _last_id(db)
    with db.session(write=True) as s:
        company = s.get(Company, w.company_id)
        assert company is not None
        company.phones = list(company.phones)  # the same value
    assert _rows(db, mark) == []


def test_past_visits_and_imports_get_no_invitations(sqlite_db: Database) -> None:
    db = sqlite_db
    w = _world(db)
    bid, _ = _book(db, w)
    mark = _last_id(db)
    after = at("2027-03-24", "09:30")  # the visit has begun
    bk.cancel_booking(
        db=db, booking_id=bid, reason=CancelReason.COMPANY_CANCELLED, actor="x", now=after
    )
    assert _rows(db, mark) == []
    # an import of visits made elsewhere opts out for its whole session
    with db.session(write=True) as s:
        s.info[notify.NO_INVITATIONS] = True
        booking = book(
            s,
            company_id=w.other_company_id,
            consultant_id=w.consultant_ids[1],
            start=at("2027-03-24", "09:00"),
            booked_by="import",
            now=NOW,
        )
        assert booking.id is not None
        assert notify.booking_changed(s, booking_id=booking.id, change="book") == notify.Notified()
        company = s.get(Company, w.other_company_id)
        assert company is not None
        company.city = "Køge C"  # a bump, no update either
    assert _rows(db, mark) == []


def test_without_a_mailbox_the_sender_address_is_used_when_sending(
    sqlite_db: Database, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = sqlite_db
    w = _world(db, mailbox=None)
    monkeypatch.delenv("PHONER_SMTP_FROM", raising=False)
    _book(db, w)
    with db.session() as s:
        first = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).first()
    assert first is not None
    msg = email.message_from_bytes(first.message, policy=default)
    assert msg["From"] is None  # the sender adds its own
    assert b"mailto:ikke-svar@phoner.local" in _calendar(first.message)
    smtp = SmtpConfig(host=smtp_server.host, port=smtp_server.port)
    # no real address: queued, not sent, and the sender says why
    report = outbox.send_due(db, SmtpTransport(smtp), now=LATER)
    assert report.sent == [] and report.problem and "PHONER_SMTP_FROM" in report.problem
    # the sender's address, once it has one, is the From of the queued invitations
    report = outbox.send_due(db, SmtpTransport(smtp), now=LATER, sender="kampagne@koege.dk")
    assert len(report.sent) == 2
    got = [r.message for r in smtp_server.inbox.received]
    assert {m["From"] for m in got} == {"kampagne@koege.dk"}
    # PHONER_SMTP_FROM of the process that books is the organizer when there is no mailbox
    monkeypatch.setenv("PHONER_SMTP_FROM", "Jobcenter Køge <jc@koege.dk>")
    view = bk.book_visit(
        db=db,
        company_id=w.other_company_id,
        consultant_id=w.consultant_ids[1],
        start=at("2027-03-24", "09:00"),
        booked_by="t",
        now=NOW,
    )
    with db.session() as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.booking_id == view.id)).one()
    msg = email.message_from_bytes(row.message, policy=default)
    assert msg["From"].addresses[0].addr_spec == "jc@koege.dk"
    assert b"mailto:jc@koege.dk" in _calendar(row.message)


def _calendar(raw: bytes) -> bytes:
    msg = email.message_from_bytes(raw, policy=default)
    return calendar_bytes(msg)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- page links

#: the day before the usual visit: the company's reminder is due, the notices still are
EVE = at("2027-03-23", "08:00")


def _link(db: Database, consultant_id: int, booking_id: int) -> str:
    with db.session() as s:
        c = s.get(Consultant, consultant_id)
        assert c is not None
        return vp.visit_url(BASE, c, booking_id)


def _due(db: Database) -> list[rem.Outgoing]:
    with db.session() as s:
        return rem.due_messages(session=s, now=EVE)[0]


def _sent_to(db: Database, recipient: str, after: int = 0) -> list[str]:
    """The plain text of each message queued for ``recipient`` after id ``after``."""
    with db.session() as s:
        raws = s.exec(
            select(OutboxMessage.message)
            .where(col(OutboxMessage.id) > after, OutboxMessage.recipient == recipient)
            .order_by(col(OutboxMessage.id))
        ).all()
    return [text_body(email.message_from_bytes(r, policy=default)) for r in raws]  # type: ignore[arg-type]


def test_a_moved_visits_notice_links_its_page_a_cancelled_ones_and_the_companys_never(
    db: Database,
) -> None:
    pw = page_world(db)
    w, bid = pw.world, pw.booking_id
    k0, k1 = w.consultant_ids
    _delivery(db, k0, Delivery.FEED)
    _delivery(db, k1, Delivery.FEED)
    bk.move_booking(db=db, booking_id=bid, start=at("2027-03-24", "13:00"), actor="x", now=LATER)
    url = _link(db, k0, bid)
    due = _due(db)
    assert sorted((m.kind, m.to) for m in due) == [("notice", K0), ("reminder", COMPANY)]
    (notice,) = (m for m in due if m.kind == "notice")
    assert f"Registrér resultatet af besøget: {url}\n\nVenlig hilsen" in notice.body
    assert all("/besoeg/" not in m.body for m in due if m.kind == "reminder")
    page = client(db, clock_at(LATER)).get(url.removeprefix(BASE))
    assert page.status_code == 200 and "Hansen" in page.text  # the link opens the visit
    # handed over: the first consultant's notice says cancelled, without a link
    new = bk.move_booking(
        db=db,
        booking_id=bid,
        start=at("2027-03-30", "10:00"),
        actor="x",
        consultant_id=k1,
        now=LATER,
    )
    (old,) = (m for m in _due(db) if m.kind == "notice")
    assert (old.to, old.booking_id) == (K0, bid) and old.subject.startswith("Aflyst")
    assert "/besoeg/" not in old.body
    # the new consultant's visit cancelled: no link either; the company's mails never
    bk.cancel_booking(db=db, booking_id=new.id, reason=CancelReason.CONSULTANT_CANCELLED, actor="k")
    notices = [m for m in _due(db) if m.kind == "notice"]
    assert [(m.to, m.booking_id) for m in notices] == [(K0, bid), (K1, new.id)]
    assert all("/besoeg/" not in m.body for m in notices)
    assert all("/besoeg/" not in t for t in _sent_to(db, COMPANY))


def test_without_a_saved_address_the_notice_has_no_link(sqlite_db: Database) -> None:
    db = sqlite_db
    pw = page_world(db, base=None)
    _delivery(db, pw.consultant_id, Delivery.FEED)
    bk.move_booking(
        db=db, booking_id=pw.booking_id, start=at("2027-03-24", "13:00"), actor="x", now=LATER
    )
    (notice,) = (m for m in _due(db) if m.kind == "notice")
    assert notice.to == K0 and notice.subject.startswith("Flyttet")
    assert "/besoeg/" not in notice.body and "Registrér" not in notice.body


def test_the_consultants_change_invitations_link_only_a_visit_still_theirs(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    pw = page_world(db)
    w, bid = pw.world, pw.booking_id
    k0, k1 = w.consultant_ids
    mark = _last_id(db)
    bk.move_booking(db=db, booking_id=bid, start=at("2027-03-24", "13:00"), actor="x", now=LATER)
    url = _link(db, k0, bid)
    (moved,) = _sent_to(db, K0, mark)
    assert url in moved
    assert all("/besoeg/" not in t for t in _sent_to(db, COMPANY))
    mark = _last_id(db)
    new = bk.move_booking(
        db=db,
        booking_id=bid,
        start=at("2027-03-30", "10:00"),
        actor="x",
        consultant_id=k1,
        now=LATER,
    )
    (cancelled,) = _sent_to(db, K0, mark)
    assert "/besoeg/" not in cancelled  # their visit is cancelled, the new one not theirs
    (handed,) = _sent_to(db, K1, mark)
    theirs = _link(db, k1, new.id)
    assert theirs in handed
    c = client(db, clock_at(LATER))
    assert c.get(theirs.removeprefix(BASE)).status_code == 200
    # the first consultant's key does not open the new visit
    assert c.get(_link(db, k0, new.id).removeprefix(BASE)).status_code == 404
    assert all("/besoeg/" not in t for t in _sent_to(db, COMPANY))

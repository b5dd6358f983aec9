"""Invitations per booking change (core.invitations): who gets which message, with the
feed's UID and SEQUENCE, the consultant's feed text and the company's own text."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import vobject

from phoner.core import feeds
from phoner.core.booking import service as bk
from phoner.core.db import Database
from phoner.core.errors import Conflict, InvalidInput
from phoner.core.invitations import Change, Invitations, Role, invitation_drafts
from phoner.core.models import Booking, CancelReason, Company, Consultant
from phoner.formats.imip import Method
from tests.support.booking import NOW, World, at, book_world_visit, make_world
from tests.support.imip import assert_golden, calendar_bytes, reparse, text_body

ORGANIZER = "Jobcenter Køge <booking@koege.dk>"
LATER = NOW + dt.timedelta(minutes=10)


def _drafts(db: Database, booking_id: int, change: Change, **kw: object) -> Invitations:
    with db.session() as s:
        return invitation_drafts(
            session=s,
            booking_id=booking_id,
            change=change,
            organizer=kw.pop("organizer", ORGANIZER),  # type: ignore[arg-type]
            now=kw.pop("now", LATER),  # type: ignore[arg-type]
            **kw,  # type: ignore[arg-type]
        )


def _event(draft_message: object) -> icalendar.Event:
    msg = reparse(draft_message)  # type: ignore[arg-type]
    cal = icalendar.Calendar.from_ical(calendar_bytes(msg))
    assert str(cal["METHOD"]) == msg.get_body(("calendar",))["Content-Type"].params["method"]
    (ev,) = cal.walk("VEVENT")
    return ev


def _book(db: Database, w: World, **kw: object) -> int:
    view = book_world_visit(db, w, attempt_id=w.attempt_id, **kw)
    assert view.id is not None
    return view.id


def _feed_event(db: Database, consultant_id: int) -> icalendar.Event:
    with db.session() as s:
        c = s.get(Consultant, consultant_id)
        assert c is not None
        body = feeds.consultant_feed(session=s, consultant=c).body
    (ev,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    return ev


CALL_NOTES = ("Ring helst", "Rengøring", "fleksjob", "Behov", "Svar i opkaldet", "telefonist")


def test_book_move_cancel_keep_the_uid_and_raise_the_sequence(db: Database) -> None:
    w = make_world(db, consultants=1)
    bid = _book(db, w)
    feed_ev = _feed_event(db, w.consultant_ids[0])
    uid = str(feed_ev["UID"])

    booked = _drafts(db, bid, Change.BOOK)
    assert [(d.role, d.method, d.sequence) for d in booked.drafts] == [
        (Role.CONSULTANT, Method.REQUEST, 0),
        (Role.COMPANY, Method.REQUEST, 0),
    ]
    assert [d.recipient for d in booked.drafts] == ["k0@koege.demo.dk", "aase@hansen.dk"]
    assert booked.skipped == ()
    consultant, company = (_event(d.message) for d in booked.drafts)
    for ev in (consultant, company):
        assert str(ev["UID"]) == uid
        assert str(ev["ORGANIZER"]).lower() == "mailto:booking@koege.dk"
        assert str(ev["ORGANIZER"]).lower() != str(ev["ATTENDEE"]).lower()
        assert ev["DTSTART"].dt.astimezone(dt.UTC) == dt.datetime(2027, 3, 24, 8, 0, tzinfo=dt.UTC)
    # the consultant's event says what the feed says
    assert str(consultant["DESCRIPTION"]) == str(feed_ev["DESCRIPTION"])
    assert str(consultant["SUMMARY"]) == str(feed_ev["SUMMARY"])
    assert "Note fra telefonisten: Ring helst" in str(consultant["DESCRIPTION"])
    # the company's tells who comes and why, and nothing from the call
    text = str(company["DESCRIPTION"])
    for part in (
        "Virksomhedskonsulent Fatima Yilmaz fra Jobcenter Køge",
        "onsdag den 24.03.2027 kl. 09.00–10.00",
        "Nørregade 12, 4600 Køge",
        "»Forår 2027«",
        "Kontakt: Fatima Yilmaz, k0@koege.demo.dk",
        "Besøget varer ca. 60 minutter",
    ):
        assert part in text, part
    company_msg = reparse(booked.drafts[1].message)
    for shown in (text, text_body(company_msg), text_body(company_msg, "html")):
        for secret in CALL_NOTES:
            assert secret not in shown, secret
    assert company_msg["Reply-To"].addresses[0].addr_spec == "k0@koege.demo.dk"
    assert str(company_msg["Subject"]).startswith("Invitation: besøg fra Jobcenter Køge")

    bk.move_booking(db=db, booking_id=bid, start=at("2027-03-30", "09:00"), actor="x", now=LATER)
    moved = _drafts(db, bid, Change.MOVE)
    assert [(d.role, d.method, d.sequence, d.uid) for d in moved.drafts] == [
        (Role.CONSULTANT, Method.REQUEST, 1, uid),
        (Role.COMPANY, Method.REQUEST, 1, uid),
    ]
    for d in moved.drafts:
        ev = _event(d.message)
        assert int(ev["SEQUENCE"]) == 1
        # after the change to summer time: 09:00 Copenhagen is 07:00 UTC
        assert ev["DTSTART"].dt.astimezone(dt.UTC) == dt.datetime(2027, 3, 30, 7, 0, tzinfo=dt.UTC)
    assert "flyttet til tirsdag den 30.03.2027 kl. 09.00–10.00" in text_body(
        reparse(moved.drafts[0].message)
    )

    bk.cancel_booking(db=db, booking_id=bid, reason=CancelReason.COMPANY_CANCELLED, actor="x")
    cancelled = _drafts(db, bid, Change.CANCEL)
    assert [(d.role, d.method, d.sequence, d.uid) for d in cancelled.drafts] == [
        (Role.CONSULTANT, Method.CANCEL, 2, uid),
        (Role.COMPANY, Method.CANCEL, 2, uid),
    ]
    for d in cancelled.drafts:
        ev = _event(d.message)
        assert str(ev["STATUS"]) == "CANCELLED"
        vev = vobject.readOne(calendar_bytes(reparse(d.message)).decode()).vevent
        assert vev.status.value == "CANCELLED" and vev.uid.value == uid
    assert (
        "er aflyst (virksomheden aflyste)"
        in text_body(reparse(cancelled.drafts[0].message)).lower()
    )
    # every message its own Message-ID, the same again when rebuilt
    ids = [d.message_id for r in (booked, moved, cancelled) for d in r.drafts]
    assert len(set(ids)) == 6
    assert _drafts(db, bid, Change.CANCEL).drafts[1].message_id == ids[-1]


def test_handover_cancels_for_the_old_consultant_and_updates_the_companys_one_event(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    w = make_world(db, consultants=3)
    bid = _book(db, w)
    with db.session() as s:
        old_uid = s.get(Booking, bid).uid  # type: ignore[union-attr]
    bk.move_booking(db=db, booking_id=bid, start=at("2027-03-24", "14:00"), actor="x", now=LATER)
    new = bk.move_booking(
        db=db,
        booking_id=bid,
        start=at("2027-03-30", "10:00"),
        actor="x",
        consultant_id=w.consultant_ids[1],
        now=LATER,
    )
    assert new.id is not None and new.uid != old_uid
    result = _drafts(db, new.id, Change.HANDOVER)
    got = [(d.role, d.recipient, d.method, d.uid, d.sequence) for d in result.drafts]
    # the old booking: booked 0, moved 1, cancelled by the handover 2
    assert got == [
        (Role.CONSULTANT, "k0@koege.demo.dk", Method.CANCEL, old_uid, 2),
        (Role.CONSULTANT, "k1@koege.demo.dk", Method.REQUEST, new.uid, 0),
        # the company keeps its one event: the first UID, SEQUENCE above the move's 1
        (Role.COMPANY, "aase@hansen.dk", Method.REQUEST, old_uid, 2),
    ]
    assert [d.event_booking_id for d in result.drafts] == [bid, new.id, bid]
    old_cancel = result.drafts[0]
    assert str(_event(old_cancel.message)["STATUS"]) == "CANCELLED"
    assert "overdraget til Jesper Lind" in text_body(reparse(old_cancel.message))
    assert str(_event(result.drafts[1].message)["ATTENDEE"]).lower() == "mailto:k1@koege.demo.dk"
    company_request = _event(result.drafts[2].message)
    assert str(company_request["UID"]) == old_uid and int(company_request["SEQUENCE"]) == 2
    assert "Virksomhedskonsulent Jesper Lind" in str(company_request["DESCRIPTION"])
    assert "Jesper Lind" in str(company_request["SUMMARY"])
    assert "i stedet for Fatima Yilmaz" in text_body(reparse(result.drafts[2].message))
    # the replaced booking may also be named explicitly
    again = _drafts(db, new.id, Change.HANDOVER, previous_booking_id=bid)
    assert [d.message_id for d in again.drafts] == [d.message_id for d in result.drafts]

    # later changes of the new booking keep the company's UID, SEQUENCE still rising
    bk.move_booking(db=db, booking_id=new.id, start=at("2027-03-31", "10:00"), actor="x", now=LATER)
    moved = _drafts(db, new.id, Change.MOVE)
    assert [(d.role, d.uid, d.sequence) for d in moved.drafts] == [
        (Role.CONSULTANT, new.uid, 1),
        (Role.COMPANY, old_uid, 3),
    ]
    third = bk.move_booking(
        db=db,
        booking_id=new.id,
        start=at("2027-03-31", "12:00"),
        actor="x",
        consultant_id=w.consultant_ids[2],
        now=LATER,
    )
    assert third.id is not None
    second = _drafts(db, third.id, Change.HANDOVER)
    assert [(d.role, d.method, d.uid, d.sequence) for d in second.drafts] == [
        (Role.CONSULTANT, Method.CANCEL, new.uid, 2),
        (Role.CONSULTANT, Method.REQUEST, third.uid, 0),
        (Role.COMPANY, Method.REQUEST, old_uid, 4),
    ]
    bk.cancel_booking(db=db, booking_id=third.id, reason=CancelReason.COMPANY_CANCELLED, actor="x")
    cancelled = _drafts(db, third.id, Change.CANCEL)
    assert [(d.role, d.method, d.uid, d.sequence) for d in cancelled.drafts] == [
        (Role.CONSULTANT, Method.CANCEL, third.uid, 1),
        (Role.COMPANY, Method.CANCEL, old_uid, 5),
    ]


def test_company_address_contact_email_first_then_company_then_a_reason(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    w = make_world(db, consultants=2)
    bid = _book(db, w, contact_email="aase.kjaer@hansen.dk", contact_person="Åse Kjær")
    (_, company) = _drafts(db, bid, Change.BOOK).drafts
    assert company.recipient == "aase.kjaer@hansen.dk"
    assert text_body(reparse(company.message)).startswith("Kære Åse Kjær")
    other = bk.book_visit(
        db=db,
        company_id=w.other_company_id,  # Køge Bageri has no e-mail address
        consultant_id=w.consultant_ids[1],
        start=at("2027-03-24", "09:00"),
        booked_by="telefonist2",
        now=NOW,
    )
    assert other.id is not None
    result = _drafts(db, other.id, Change.BOOK)
    assert [d.role for d in result.drafts] == [Role.CONSULTANT]
    assert result.skipped == (
        "Køge Bageri: ingen e-mailadresse til kalenderinvitationen (ring i stedet).",
    )
    with db.session(write=True) as s:
        bakery = s.get(Company, w.other_company_id)
        assert bakery is not None
        bakery.email = "ole@bageri.dk; bo@bageri.dk"  # imported as it was typed
    result = _drafts(db, other.id, Change.BOOK)
    assert [d.role for d in result.drafts] == [Role.CONSULTANT]
    assert result.skipped == (
        "'ole@bageri.dk; bo@bageri.dk' er ikke en gyldig e-mailadresse (virksomhedens); "
        "ret den, så kan invitationen sendes.",
    )


def test_update_sends_requests_with_the_current_sequence(sqlite_db: Database) -> None:
    db = sqlite_db
    w = make_world(db, consultants=1)
    bid = _book(db, w)
    result = _drafts(db, bid, Change.UPDATE)
    assert [(d.method, d.sequence) for d in result.drafts] == [(Method.REQUEST, 0)] * 2
    # a changed event text is a new message, not a resend of the booking's
    booked = _drafts(db, bid, Change.BOOK)
    assert {d.message_id for d in result.drafts}.isdisjoint(d.message_id for d in booked.drafts)


def test_organizer_is_checked_and_never_a_recipient(sqlite_db: Database) -> None:
    db = sqlite_db
    w = make_world(db, consultants=1)
    bid = _book(db, w)
    with pytest.raises(InvalidInput, match="ikke en e-mailadresse"):
        _drafts(db, bid, Change.BOOK, organizer="booking")
    result = _drafts(db, bid, Change.BOOK, organizer="K0@koege.demo.dk")
    assert [d.role for d in result.drafts] == [Role.COMPANY]
    assert result.skipped == (
        "k0@koege.demo.dk er selv afsender af kalenderinvitationerne og får ingen.",
    )


def test_a_change_that_does_not_fit_the_booking_is_refused(sqlite_db: Database) -> None:
    db = sqlite_db
    w = make_world(db, consultants=1)
    bid = _book(db, w)
    with pytest.raises(Conflict, match="ikke aflyst"):
        _drafts(db, bid, Change.CANCEL)
    with pytest.raises(Conflict, match="ikke overtaget"):
        _drafts(db, bid, Change.HANDOVER)
    with pytest.raises(ValueError):
        _drafts(db, bid, "flyt")  # type: ignore[arg-type]


def test_golden_messages(sqlite_db: Database) -> None:
    """One REQUEST, one move and one CANCEL as the bytes a mail program receives
    (UPDATE_GOLDEN=1 rewrites tests/golden/imip/; see tests/support/imip.py)."""
    db = sqlite_db
    w = make_world(db, consultants=1)
    bid = _book(db, w)
    with db.session(write=True) as s:
        b = s.get(Booking, bid)
        assert b is not None
        b.uid = "golden-visit@phoner"  # UIDs are random; the golden files need a fixed one
    book = _drafts(db, bid, Change.BOOK).drafts
    assert_golden("book-consultant.eml", book[0].message)
    assert_golden("book-company.eml", book[1].message)
    bk.move_booking(db=db, booking_id=bid, start=at("2027-03-30", "09:00"), actor="x", now=LATER)
    move = _drafts(db, bid, Change.MOVE, now=LATER + dt.timedelta(minutes=1)).drafts
    assert_golden("move-company.eml", move[1].message)
    bk.cancel_booking(db=db, booking_id=bid, reason=CancelReason.CONSULTANT_CANCELLED, actor="x")
    cancel = _drafts(db, bid, Change.CANCEL, now=LATER + dt.timedelta(minutes=2)).drafts
    assert_golden("cancel-consultant.eml", cancel[0].message)


def test_golden_handover_to_the_company(sqlite_db: Database) -> None:
    """The company's one event, updated when another consultant takes the visit."""
    db = sqlite_db
    w = make_world(db, consultants=2)
    bid = _book(db, w)
    with db.session(write=True) as s:
        b = s.get(Booking, bid)
        assert b is not None
        b.uid = "golden-visit@phoner"
    new = bk.move_booking(
        db=db,
        booking_id=bid,
        start=at("2027-03-30", "10:00"),
        actor="x",
        consultant_id=w.consultant_ids[1],
        now=LATER,
    )
    assert new.id is not None
    drafts = _drafts(db, new.id, Change.HANDOVER, now=LATER + dt.timedelta(minutes=1)).drafts
    (company,) = [d for d in drafts if d.role == Role.COMPANY]
    assert company.uid == "golden-visit@phoner" and company.sequence == 1
    assert_golden("handover-company.eml", company.message)

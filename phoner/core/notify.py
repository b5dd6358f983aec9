"""Booking changes reach calendars: the invitation e-mails of a change, queued in the
outbox in the transaction of the change.

One mechanism, two entrances:

- the booking use cases (:mod:`phoner.core.booking.service`: book, move, hand over,
  cancel) call :func:`booking_changed` right after their write, in their unit of work;
  a bigger use case that composes the writes (an undo, an import) calls it the same way;
- a change of what an event shows (the company's phone, address, contact, …) is bumped
  by :mod:`phoner.core.event_versions`, which records the visits in
  ``session.info["bumped_bookings"]``; the ``before_commit`` listener here turns each of
  them into a ``update`` (a REQUEST with the raised SEQUENCE to consultant and company),
  except the visits :func:`booking_changed` already handled in the same transaction (a
  move raises SEQUENCE itself, a new booking is not bumped, but a contact edited in the
  transaction of a move must not send a second REQUEST).

Who gets what is :func:`phoner.core.invitations.invitation_drafts`; this module adds:

- the consultant's delivery setting: ``feed`` gets no invitation (the feed only, and the
  change notices of :mod:`phoner.core.reminders`), ``invitation`` and ``both`` get them;
- no invitation for a visit that has started (a past visit moved or cancelled after the
  fact), and none at all in a session flagged ``session.info[NO_INVITATIONS] = True``
  (:data:`NO_INVITATIONS`: a booking import of visits made elsewhere sets it, so
  importing a campaign's history does not mail everybody);
- the organizer and sender (:func:`organizer`): the campaign's mailbox, else
  ``PHONER_SMTP_FROM``; without a real address the messages are queued with phoner's
  placeholder as ORGANIZER and without a From header, so the sender uses the address it
  has when it sends (and refuses SMTP while it has none, as for every e-mail).

Never commits; never sends (the outbox's sender does).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from phoner.core import outbox
from phoner.core.clock import utcnow
from phoner.core.consultants import wants_invitations
from phoner.core.errors import InvalidInput
from phoner.core.event_versions import BUMPED_KEY
from phoner.core.invitations import (
    Change,
    InvitationDraft,
    Role,
    company_event,
    invitation_drafts,
)
from phoner.core.invitations import parse_organizer as _parse_organizer
from phoner.core.mail import DEFAULT_SENDER, is_placeholder
from phoner.core.models import (
    Booking,
    BookingStatus,
    Campaign,
    Consultant,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
)
from phoner.formats.imip import Mailbox, Method

#: ``session.info`` flag: no invitations in this session (a booking import sets it)
NO_INVITATIONS = "phoner.no_invitations"
#: ``session.info`` key: the booking ids whose invitations this transaction queued
HANDLED_KEY = "phoner.invited_bookings"
INSTALLED = True


@dataclass(frozen=True)
class Queued:
    """One queued invitation (for tests and reports)."""

    outbox_id: int
    recipient: str
    role: Role
    method: Method
    sequence: int
    uid: str


@dataclass(frozen=True)
class Notified:
    queued: tuple[Queued, ...] = ()
    skipped: tuple[str, ...] = ()  # Danish: why a recipient got nothing


def organizer(session: Session, campaign_id: int) -> Mailbox:
    """The campaign's mailbox, else PHONER_SMTP_FROM, else phoner's placeholder."""
    campaign = session.get(Campaign, campaign_id)
    for text in ((campaign.mailbox if campaign else None), os.environ.get("PHONER_SMTP_FROM")):
        if text and text.strip():
            try:
                return _parse_organizer(text)
            except InvalidInput:
                continue  # a malformed setting must not stop a booking; the sender says so
    return Mailbox(email=DEFAULT_SENDER, name="phoner")


def _handled(session: Session) -> set[int]:
    found: set[int] = session.info.setdefault(HANDLED_KEY, set())
    return found


def _kind(change: Change, draft: InvitationDraft) -> OutboxKind:
    if draft.method == Method.CANCEL:
        return OutboxKind.CANCELLATION
    if change == Change.BOOK and draft.role == Role.COMPANY:
        return OutboxKind.CONFIRMATION
    return OutboxKind.INVITATION


def booking_changed(
    session: Session,
    *,
    booking_id: int,
    change: Change | str,
    now: dt.datetime | None = None,
    previous_booking_id: int | None = None,
    recipients: set[str] | None = None,
) -> Notified:
    """Queue the invitations of ``change`` of the booking (for a handover: the booking
    now in the calendar) in ``session``'s transaction; only to ``recipients`` (lower
    case) when given. Never commits."""
    change = Change(change)
    now = now or utcnow()
    booking = session.get(Booking, booking_id)
    if booking is None:
        return Notified()
    handled = _handled(session)
    handled.add(booking_id)
    previous = previous_booking_id or booking.details.get("moved_from")
    if change == Change.HANDOVER and isinstance(previous, int):
        handled.add(previous)
    if session.info.get(NO_INVITATIONS):
        return Notified()
    if booking.start <= now:
        return Notified(
            skipped=("Besøget er begyndt eller overstået; der sendes ingen invitation.",)
        )
    box = organizer(session, booking.campaign_id)
    drafts = invitation_drafts(
        session=session,
        booking_id=booking_id,
        change=change,
        organizer=box,
        now=now,
        previous_booking_id=previous_booking_id,
    )
    queued: list[Queued] = []
    for draft in drafts.drafts:
        if draft.role == Role.CONSULTANT and not _consultant_wants(session, draft):
            continue
        if recipients is not None and draft.recipient.lower() not in recipients:
            continue
        if is_placeholder(box.email):
            del draft.message["From"]  # the sender adds the address it has when it sends
        outbox_id = outbox.enqueue(
            session,
            message=draft.message,
            recipient=draft.recipient,
            kind=_kind(change, draft),
            campaign_id=booking.campaign_id,
            booking_id=draft.event_booking_id,
            sequence=draft.sequence,
            now=now,
        )
        queued.append(
            Queued(outbox_id, draft.recipient, draft.role, draft.method, draft.sequence, draft.uid)
        )
    return Notified(queued=tuple(queued), skipped=drafts.skipped)


def _consultant_wants(session: Session, draft: InvitationDraft) -> bool:
    """The draft's consultant takes invitations (and so no change notices: the reminders
    module skips the notice of a consultant on ``invitation``/``both``)."""
    booking = session.get(Booking, draft.booking_id)
    assert booking is not None
    consultant = session.get(Consultant, booking.consultant_id)
    return consultant is not None and wants_invitations(consultant)


def booking_withdrawn(
    session: Session, *, booking_id: int, now: dt.datetime | None = None
) -> Notified:
    """The booking (already cancelled as a mistake) is taken back at once: its messages
    that have not left are dropped, and whoever already got one gets the CANCEL. The
    consultant gets no change notice either (nothing reached them they must unlearn)."""
    now = now or utcnow()
    booking = session.get(Booking, booking_id)
    if booking is None:
        return Notified()
    _, _, event_id = company_event(session, booking)
    query = select(OutboxMessage).where(
        col(OutboxMessage.booking_id).in_(sorted({booking_id, event_id}))
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # a sender's claim of a row waits for this decision
    reached: set[str] = set()
    for row in session.exec(query).all():
        if row.status in (OutboxStatus.SENT, OutboxStatus.SENDING):
            reached.add(row.recipient.lower())
        else:
            session.delete(row)
    booking.consultant_notified_at = now
    session.add(booking)
    session.flush()
    return booking_changed(
        session, booking_id=booking_id, change=Change.CANCEL, now=now, recipients=reached
    )


# --------------------------------------------------------------------------- updates


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    """Queue an ``update`` for each visit event_versions bumped in this transaction and
    no use case handled."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # the last changes' bumps
    bumped: set[int] = session.info.get(BUMPED_KEY) or set()
    if not bumped or not isinstance(session, Session):
        return
    handled = _handled(session)
    now = utcnow()
    for booking_id in sorted(bumped - handled):
        booking = session.get(Booking, booking_id)
        if booking is None or booking.status != BookingStatus.BOOKED:
            handled.add(booking_id)
            continue
        booking_changed(session, booking_id=booking_id, change=Change.UPDATE, now=now)


@event.listens_for(OrmSession, "after_transaction_end")
def _after_transaction_end(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(HANDLED_KEY, None)

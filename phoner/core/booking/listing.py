"""The read side of bookings: frozen views the CLI and the TUI show, never ORM rows.

A :class:`BookingView` is a snapshot of one booking taken inside the transaction that
read or wrote it; it stays valid after the session closes and cannot be changed by
accident (a detached ORM row can, and then silently is not saved).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from phoner.core.models import Booking, BookingStatus, Campaign, CancelReason, Company, Consultant


@dataclass(frozen=True)
class BookingView:
    """One booking as it was when read or written (times in UTC)."""

    id: int
    uid: str
    campaign_id: int
    company_id: int
    consultant_id: int
    attempt_id: int | None
    start: dt.datetime
    end: dt.datetime
    status: BookingStatus
    cancel_reason: CancelReason | None
    sequence: int
    booked_by: str
    contact_person: str | None
    contact_email: str | None
    contact_mobile: str | None
    created_at: dt.datetime
    modified_at: dt.datetime
    reminder_sent_at: dt.datetime | None
    consultant_notified_at: dt.datetime | None
    #: what the call captured (answers, needs, note; a copy)
    details: dict[str, Any]

    @classmethod
    def of(cls, b: Booking) -> BookingView:
        assert b.id is not None, "flush the booking before taking its view"
        return cls(
            id=b.id,
            uid=b.uid,
            campaign_id=b.campaign_id,
            company_id=b.company_id,
            consultant_id=b.consultant_id,
            attempt_id=b.attempt_id,
            start=b.start,
            end=b.end,
            status=b.status,
            cancel_reason=b.cancel_reason,
            sequence=b.sequence,
            booked_by=b.booked_by,
            contact_person=b.contact_person,
            contact_email=b.contact_email,
            contact_mobile=b.contact_mobile,
            created_at=b.created_at,
            modified_at=b.modified_at,
            reminder_sent_at=b.reminder_sent_at,
            consultant_notified_at=b.consultant_notified_at,
            details=copy.deepcopy(b.details),
        )


@dataclass(frozen=True)
class Named:
    """A company, consultant or campaign as a list shows it: its id and name."""

    id: int
    name: str


@dataclass(frozen=True)
class BookingRow:
    booking: BookingView
    company: Named
    consultant: Named
    campaign: Named


def _named(row: Company | Consultant | Campaign) -> Named:
    assert row.id is not None
    return Named(row.id, row.name)


def list_bookings(
    *,
    session: Session,
    campaign_id: int | None = None,
    consultant_id: int | None = None,
    include_cancelled: bool = False,
    since: dt.datetime | None = None,
) -> list[BookingRow]:
    """Bookings by start time (booked ones only unless ``include_cancelled``; ``since``:
    those that end at or after it)."""
    q = (
        select(Booking, Company, Consultant, Campaign)
        .join(Company, col(Company.id) == col(Booking.company_id))
        .join(Consultant, col(Consultant.id) == col(Booking.consultant_id))
        .join(Campaign, col(Campaign.id) == col(Booking.campaign_id))
    )
    if campaign_id is not None:
        q = q.where(Booking.campaign_id == campaign_id)
    if consultant_id is not None:
        q = q.where(Booking.consultant_id == consultant_id)
    if not include_cancelled:
        q = q.where(Booking.status == BookingStatus.BOOKED)
    if since is not None:
        q = q.where(col(Booking.end) >= since)
    rows = session.exec(q.order_by(col(Booking.start), col(Booking.id))).all()
    return [
        BookingRow(BookingView.of(b), _named(co), _named(cons), _named(camp))
        for b, co, cons, camp in rows
    ]

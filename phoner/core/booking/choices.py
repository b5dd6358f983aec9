"""What the booking dialog offers: free slots, the consultants, the company's contact.

:func:`slot_choices` is the dialog's one read: it takes the database, searches day by day
in one session and returns frozen data (slots, consultants as :class:`Named`, the
company's name and contact), never an ORM row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from phoner.core.booking.listing import Named
from phoner.core.booking.rules import Slot
from phoner.core.booking.service import company_consultants, find_slots
from phoner.core.clock import to_local
from phoner.core.db import Database
from phoner.core.models import Booking, BookingStatus, Company, Consultant
from phoner.core.queue.card import VisitLine


@dataclass(frozen=True)
class SlotChoices:
    """Free slots (earliest first) and what the dialog shows beside them."""

    slots: list[Slot]
    day: dt.date | None  # the day searched (None: the first free slots)
    consultants: list[Named]  # who the company's visit may be booked with, by name
    company: str
    contact_person: str | None
    email: str | None
    existing: VisitLine | None = None  # the company's live visit: the dialog moves it


def slot_choices(
    *,
    db: Database,
    company_id: int,
    now: dt.datetime,
    first_limit: int,
    day_limit: int,
    day: dt.date | None = None,
    step: int = 0,
    max_steps: int = 70,
    consultant_id: int | None = None,
) -> SlotChoices | None:
    """The first ``first_limit`` free slots (``day`` None), or up to ``day_limit`` on
    ``day``, moving ``step`` days at a time (at most ``max_steps``, never before today)
    until a day has free slots; ``step`` 0 looks at ``day`` only. ``slots`` is empty when
    none was found. None when the company does not exist."""
    with db.session() as session:
        company = session.get(Company, company_id)
        if company is None:
            return None
        consultants = company_consultants(session=session, company_id=company_id)
        slots: list[Slot] = []
        current = day
        if day is None:
            slots = find_slots(
                session=session,
                company_id=company_id,
                now=now,
                limit=first_limit,
                consultant_id=consultant_id,
            )
        else:
            for _ in range(max_steps):
                assert current is not None
                slots = find_slots(
                    session=session,
                    company_id=company_id,
                    now=now,
                    limit=day_limit,
                    day=current,
                    consultant_id=consultant_id,
                )
                if slots or step == 0:
                    break
                current += dt.timedelta(days=step)
                if current < to_local(now).date():
                    break
        return SlotChoices(
            slots=slots,
            day=current,
            consultants=[Named(c.id, c.name) for c in consultants if c.id is not None],
            company=company.name,
            contact_person=company.contact_person,
            email=company.email,
            existing=_live_visit(session, company_id, now),
        )


def _live_visit(session: Session, company_id: int, now: dt.datetime) -> VisitLine | None:
    """The company's booked visit that has not ended yet (a company has at most one)."""
    row = session.exec(
        select(Booking, Consultant.name)
        .join(Consultant, col(Consultant.id) == col(Booking.consultant_id))
        .where(
            Booking.company_id == company_id,
            Booking.status == BookingStatus.BOOKED,
            col(Booking.end) > now,
        )
        .order_by(col(Booking.start))
    ).first()
    if row is None:
        return None
    b, name = row
    return VisitLine(b.id or 0, b.start, b.end, name, b.booked_by)

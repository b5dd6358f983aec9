"""Any change to what a visit's calendar event shows bumps its SEQUENCE and LAST-MODIFIED.

A consultant's calendar client keeps the text of an event until the event's SEQUENCE (or
LAST-MODIFIED) moves, so a company's new phone number must not only change DESCRIPTION.
One SQLAlchemy ``before_flush`` listener (installed by importing this module, as
:mod:`phoner.core.db` does, like the audit listener of :mod:`phoner.core.audit`) sees
every ORM change of a field an event shows (:data:`SHOWN`) and, in the same flush and so
in the same transaction as the change:

- a changed :class:`Company` field bumps every booked (not cancelled) visit of the
  company, past ones too (the feed shows them, and the feed's ETag is derived from the
  visits' versions, see :mod:`phoner.feed.server`);
- a changed campaign name bumps every booked visit of the campaign;
- a changed contact or details field of a :class:`Booking` bumps that visit, unless the
  writer already raised its SEQUENCE in the same flush (a move, a cancellation).

A bump is ``sequence + 1`` and ``modified_at`` = now (at least one second after the
previous value, so LAST-MODIFIED, written in whole seconds, visibly moves forward).

Hook for e-mailed invitations: the ids of the bumped visits that have not ended yet are
added to ``session.info["bumped_bookings"]`` (:data:`BUMPED_KEY`, a set of ints). They
accumulate over the transaction's flushes; read them in a ``before_commit`` listener
after ``session.flush()`` (to enqueue a METHOD:REQUEST per visit). The key is dropped
when the outermost transaction ends (commit or rollback), so ids never leak into the next
unit of work. Bumps are derived changes: they get no audit entry of their own.

Not seen, as with the audit's automatic entries: bulk ``update(Company)`` statements and
raw SQL. A bulk writer of shown fields calls :func:`bump_visits` itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import col

from phoner.core import clock
from phoner.core.models import Booking, BookingStatus, Campaign, Company

BUMPED_KEY = "bumped_bookings"

#: model -> the attributes an event shows (phoner.core.feeds.event_description)
SHOWN: dict[type[Any], frozenset[str]] = {
    Company: frozenset(
        {
            "name",
            "cvr",
            "phones",
            "address",
            "postcode",
            "city",
            "contact_person",
            "email",
            "industry",
            "employees",
        }
    ),
    Booking: frozenset({"contact_person", "contact_email", "contact_mobile", "details"}),
    Campaign: frozenset({"name"}),
}
INSTALLED = True


def _changed(obj: Any, names: frozenset[str]) -> bool:
    state = sa.inspect(obj)
    for name in names:
        hist = state.attrs[name].history
        if not hist.has_changes():
            continue
        before = hist.deleted[0] if hist.deleted else None
        after = hist.added[0] if hist.added else None
        if before != after:
            return True
    return False


def _sequence_raised(booking: Booking) -> bool:
    """The writer already raised SEQUENCE in this flush (a move or cancellation)."""
    return bool(sa.inspect(booking).attrs["sequence"].history.has_changes())


def _bump(session: OrmSession, booking: Booking, now: dt.datetime) -> None:
    booking.sequence = (booking.sequence or 0) + 1
    previous = booking.modified_at
    booking.modified_at = max(now, previous + dt.timedelta(seconds=1)) if previous else now
    if booking.id is not None and booking.end > now:
        bumped: set[int] = session.info.setdefault(BUMPED_KEY, set())
        bumped.add(booking.id)


def bump_visits(
    session: OrmSession,
    *,
    company_ids: Iterable[int] = (),
    campaign_ids: Iterable[int] = (),
    now: dt.datetime | None = None,
) -> list[int]:
    """Bump every booked visit of ``company_ids`` / ``campaign_ids`` in ``session`` (for
    writers that change shown fields with bulk statements). Returns the bumped ids."""
    companies, campaigns = sorted(set(company_ids)), sorted(set(campaign_ids))
    if not companies and not campaigns:
        return []
    now = now or clock.utcnow()
    where = []
    if companies:
        where.append(col(Booking.company_id).in_(companies))
    if campaigns:
        where.append(col(Booking.campaign_id).in_(campaigns))
    with session.no_autoflush:
        visits = session.scalars(
            sa.select(Booking).where(col(Booking.status) == BookingStatus.BOOKED, sa.or_(*where))
        ).all()
    out = []
    for booking in visits:
        if booking in session.dirty and _sequence_raised(booking):
            continue
        _bump(session, booking, now)
        assert booking.id is not None
        out.append(booking.id)
    return out


@event.listens_for(OrmSession, "before_flush")
def _before_flush(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    companies: set[int] = set()
    campaigns: set[int] = set()
    direct: list[Booking] = []
    for obj in list(session.dirty):
        names = SHOWN.get(type(obj))
        if names is None or obj.id is None or not _changed(obj, names):
            continue
        if isinstance(obj, Company):
            companies.add(obj.id)
        elif isinstance(obj, Campaign):
            campaigns.add(obj.id)
        elif obj.status == BookingStatus.BOOKED and not _sequence_raised(obj):
            direct.append(obj)
    if not (companies or campaigns or direct):
        return
    now = clock.utcnow()
    bumped = set(bump_visits(session, company_ids=companies, campaign_ids=campaigns, now=now))
    for booking in direct:
        if booking.id not in bumped:
            _bump(session, booking, now)


@event.listens_for(OrmSession, "after_transaction_end")
def _after_transaction_end(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(BUMPED_KEY, None)

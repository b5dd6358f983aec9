"""The writing half of a booking import: batches of checked rows, each in a short write
transaction that re-checks them against bookings made since the plan, inserts the new
bookings with their audit entries, and cancels the ones the file now says are cancelled.

See :mod:`phoner.core.booking.importing` for the guarantees; this module never decides
what a row is, it only writes what the plan decided (or refuses a row the database, or a
booking made meanwhile, no longer allows).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from phoner.core import audit
from phoner.core.booking.import_rows import Item, chunks
from phoner.core.booking.writes import (
    UID_DOMAIN,
    BookingTaken,
    close_answered_followup,
    is_guard_violation,
)
from phoner.core.booking.writes import flush as guarded_flush
from phoner.core.db import Database
from phoner.core.display import format_local
from phoner.core.importing import ImportResult
from phoner.core.models import (
    AuditLog,
    Booking,
    BookingStatus,
    Campaign,
    FollowUp,
    FollowUpKind,
)
from phoner.core.notify import NO_INVITATIONS


@dataclass
class Plan:
    """What the plan decided: the checked rows, and the snapshot it checked them against."""

    campaign: Campaign
    items: list[Item]
    #: the largest booking id and the moment of the snapshot the plan was checked against
    max_id: int
    snapshot_at: dt.datetime


def write_batch(
    db: Database,
    plan: Plan,
    batch: list[Item],
    mine: set[int],
    actor: str,
    now: dt.datetime,
    summary: ImportResult,
) -> list[Item]:
    """One batch in one write transaction; if the database refuses it (a phoner booked
    the same time or company in that instant), again row by row."""
    try:
        with db.session(write=True) as session:
            _begin(session, actor)
            good = recheck(session, plan, batch, mine, summary)
            ids = _write(session, plan, good, actor, now)
            guarded_flush(session)
        mine.update(ids)
        return good
    except BookingTaken:
        pass
    # the first attempt's rejects came from the rolled-back check: check again
    lines = {i.row.line for i in batch}
    summary.rejects[:] = [r for r in summary.rejects if r.line not in lines or r.line <= 0]
    with db.session(write=True) as session:
        _begin(session, actor)
        good = recheck(session, plan, batch, mine, summary)
        written: list[Item] = []
        for item in good:
            try:
                with session.begin_nested():
                    mine.update(_write(session, plan, [item], actor, now))
                    guarded_flush(session)
            except BookingTaken:
                summary.reject(
                    item.row,
                    "tiden eller virksomheden blev booket i phoner i samme øjeblik. "
                    "Importér filen igen (de indlæste rækker springes over).",
                )
                continue
            written.append(item)
    return written


def _begin(session: Session, actor: str) -> None:
    session.info[NO_INVITATIONS] = True
    audit.set_actor(session, actor)


def recheck(
    session: Session,
    plan: Plan,
    batch: list[Item],
    mine: set[int],
    summary: ImportResult,
) -> list[Item]:
    """The batch's rows that still fit: bookings made or changed in phoner since the plan
    (another import, a phoner) are checked against the batch inside its transaction."""
    rows = [i for i in batch if i.action == "new" and i.status == BookingStatus.BOOKED]
    if not rows:
        return batch
    low, high = min(i.start for i in rows), max(i.end for i in rows)
    fresh = session.execute(
        sa.select(
            col(Booking.id),
            col(Booking.consultant_id),
            col(Booking.company_id),
            col(Booking.campaign_id),
            col(Booking.start),
            col(Booking.end),
        ).where(
            sa.or_(col(Booking.id) > plan.max_id, col(Booking.modified_at) >= plan.snapshot_at),
            col(Booking.status) == BookingStatus.BOOKED,
            sa.or_(
                sa.and_(
                    col(Booking.consultant_id).in_(sorted({i.consultant.id for i in rows})),
                    col(Booking.start) < high,
                    col(Booking.end) > low,
                ),
                sa.and_(
                    col(Booking.campaign_id) == plan.campaign.id,
                    col(Booking.company_id).in_(sorted({i.company.id for i in rows})),
                    col(Booking.end) > plan.snapshot_at,
                ),
            ),
        )
    ).all()
    fresh = [b for b in fresh if b.id not in mine]
    if not fresh:
        return batch
    by_consultant: dict[int, list[Any]] = defaultdict(list)
    by_company: dict[int, list[Any]] = defaultdict(list)
    for b in fresh:
        by_consultant[b.consultant_id].append(b)
        if b.campaign_id == plan.campaign.id and b.end > plan.snapshot_at:
            by_company[b.company_id].append(b)
    good: list[Item] = []
    for item in batch:
        if item.action == "new" and item.status == BookingStatus.BOOKED:
            clash = next(
                (
                    b
                    for b in by_consultant.get(item.consultant.id, [])
                    if b.start < item.end and item.start < b.end
                ),
                None,
            )
            if clash is not None:
                summary.reject(
                    item.row,
                    f"{item.consultant.name} blev booket {format_local(clash.start)} "
                    f"(besøg nr. {clash.id}) under importen, og det overlapper. "
                    "Ret tidspunktet eller konsulenten.",
                )
                continue
            taken = by_company.get(item.company.id)
            if item.end > plan.snapshot_at and taken:
                summary.reject(
                    item.row,
                    f"{item.company.name} blev booket {format_local(taken[0].start)} "
                    f"(besøg nr. {taken[0].id}) under importen. Slet rækken, eller aflys "
                    "det andet besøg.",
                )
                continue
        good.append(item)
    return good


def _write(
    session: Session, plan: Plan, items: list[Item], actor: str, now: dt.datetime
) -> list[int]:
    """Insert the new bookings and cancel the cancelled ones (never commits); returns the
    ids of the inserted bookings."""
    campaign_id = plan.campaign.id
    assert campaign_id is not None
    new = [i for i in items if i.action == "new"]
    cancels = [i for i in items if i.action == "cancel"]
    live_companies = sorted(
        {i.company.id for i in new if i.status == BookingStatus.BOOKED and i.end > now}
    )
    if live_companies:
        _retire_ended(session, campaign_id, live_companies, now)
    clips = {bid: i.start for i in new for bid in i.clip}
    for chunk in chunks(sorted(clips)):
        for b in session.exec(select(Booking).where(col(Booking.id).in_(chunk))).all():
            assert b.id is not None
            if b.status == BookingStatus.BOOKED and (b.blocked_end or b.end) > clips[b.id]:
                b.blocked_end = clips[b.id]  # its travel time reaches into the imported visit
                session.add(b)
    guarded_flush(session)  # the cut-back and retired visits before the new ones
    ids = _insert(session, campaign_id, new, actor, now)
    for i in cancels:
        assert i.existing is not None
        found = session.get(Booking, i.existing)
        if found is None or found.status != BookingStatus.BOOKED:
            continue
        b = found
        b.status = BookingStatus.CANCELLED
        b.sequence += 1
        b.modified_at = max(now, b.modified_at)
        b.consultant_notified_at = now
        session.add(b)
        audit.record(
            session,
            actor=actor,
            action="cancel",
            entity="booking",
            entity_id=b.id,
            campaign_id=campaign_id,
            reason=f"aflyst i importfilen (linje {i.row.line})",
        )
    booked = [
        (i.company.id, bid, i.start)
        for i, bid in zip(new, ids, strict=True)
        if i.status == BookingStatus.BOOKED
    ]
    if booked:
        _close_call_followups(session, booked, actor, now)
    return ids


def _insert(
    session: Session, campaign_id: int, new: list[Item], actor: str, now: dt.datetime
) -> list[int]:
    """Insert the new bookings and their audit entries as two multi-row statements.

    One ORM object per booking (and the automatic audit entry it makes) cost more than
    everything else of a 10,000-row import; a bulk insert bypasses the automatic audit,
    so the entries are written here, one per booking, as :func:`~.writes.book` writes
    them (action ``book``, the booking's consultant, times, status and sequence).
    """
    if not new:
        return []
    values = [
        {
            "uid": f"{uuid.uuid4()}@{UID_DOMAIN}",
            "campaign_id": campaign_id,
            "company_id": i.company.id,
            "consultant_id": i.consultant.id,
            "attempt_id": None,
            "start": i.start,
            "end": i.end,
            "blocked_end": i.blocked_end or i.end,
            "status": i.status,
            "cancel_reason": None,
            "sequence": 0,
            "booked_by": i.booked_by,
            "created_at": min(i.booked_at, now) if i.booked_at else now,
            "modified_at": now,
            "contact_person": _cut(i.contact_person, 200),
            "contact_email": _cut(i.contact_email, 200),
            "contact_mobile": i.contact_mobile,
            "details": {"source": "import", **({"note": i.note} if i.note else {})},
            "reminder_sent_at": None,
            "consultant_notified_at": now,  # the visit is in their calendar already
            "live": i.status == BookingStatus.BOOKED and i.end > now,
        }
        for i in new
    ]
    # PostgreSQL: a multi-row INSERT ... RETURNING (SQLAlchemy's "insertmanyvalues"; a
    # plain executemany is one round trip per row). SQLite: executemany without RETURNING
    # (its driver loops in C; with RETURNING SQLAlchemy sends one statement per row), the
    # ids read back by their UIDs.
    postgres = session.get_bind().dialect.name == "postgresql"
    try:
        if postgres:
            ids = list(
                session.execute(
                    sa.insert(Booking).returning(col(Booking.id), sort_by_parameter_order=True),
                    values,
                ).scalars()
            )
        else:
            session.execute(sa.insert(Booking), values)
    except IntegrityError as exc:
        if is_guard_violation(exc):
            raise BookingTaken() from exc
        raise
    if not postgres:
        uids = [str(v["uid"]) for v in values]
        by_uid: dict[str, int] = {}
        for n in range(0, len(uids), 900):
            for bid, uid in session.execute(
                sa.select(col(Booking.id), col(Booking.uid)).where(
                    col(Booking.uid).in_(uids[n : n + 900])
                )
            ).all():
                by_uid[uid] = bid
        ids = [by_uid[u] for u in uids]
    entries = sa.insert(AuditLog)
    session.execute(
        entries.returning(col(AuditLog.id)) if postgres else entries,
        [
            {
                "at": now,
                "actor": actor,
                "action": "book",
                "entity": "booking",
                "entity_id": bid,
                "campaign_id": campaign_id,
                "old": None,
                "new": {
                    "consultant_id": i.consultant.id,
                    "start": i.start.isoformat(),
                    "end": i.end.isoformat(),
                    "status": i.status.value,
                    "sequence": 0,
                },
                "reason": f"importeret (linje {i.row.line})",
            }
            for i, bid in zip(new, ids, strict=True)
        ],
    )
    return ids


def _cut(text: str | None, length: int) -> str | None:
    return text[:length] if text else None


def _retire_ended(
    session: Session, campaign_id: int, company_ids: list[int], now: dt.datetime
) -> None:
    """Ended visits of companies that get a new live one stop being live (the unique
    index counts booked, live visits only), as a booking in phoner does."""
    for chunk in chunks(company_ids):
        for ended in session.exec(
            select(Booking).where(
                Booking.campaign_id == campaign_id,
                col(Booking.company_id).in_(chunk),
                Booking.status == BookingStatus.BOOKED,
                col(Booking.live).is_(True),
                col(Booking.end) <= now,
            )
        ).all():
            ended.live = False
            session.add(ended)


def _close_call_followups(
    session: Session,
    bookings: list[tuple[int, int, dt.datetime]],
    actor: str,
    now: dt.datetime,
) -> None:
    """A booked visit answers the company's open "call the company" follow-ups
    (``bookings``: company id, booking id, start)."""
    first: dict[int, tuple[int, dt.datetime]] = {}
    for company_id, bid, start in sorted(bookings, key=lambda b: b[2]):
        first.setdefault(company_id, (bid, start))
    for chunk in chunks(sorted(first)):
        for fu in session.exec(
            select(FollowUp).where(
                col(FollowUp.company_id).in_(chunk),
                FollowUp.kind == FollowUpKind.CALL_COMPANY,
                col(FollowUp.done_at).is_(None),
            )
        ).all():
            bid, start = first[fu.company_id]
            close_answered_followup(
                session,
                fu,
                actor=actor,
                now=now,
                note=f"Besøg booket {format_local(start)} (nr. {bid}, importeret).",
                reason="besøg booket (import)",
            )

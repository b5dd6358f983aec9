"""Consultants' calendar feeds: what a visit's event says, one .ics per consultant, and
whether each consultant has fetched theirs since their visits last changed.

Read side only: nothing here writes to the database. A feed holds every booked (not
cancelled) visit; a cancelled visit leaves the feed, and its ``modified_at`` still moves
the feed's Last-Modified forward, so the value a client caches never goes backwards.
The feed server (:mod:`phoner.feed.server`), ``phoner calendars`` and the reminders read
from here, never from the booking service.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core import visit_pages
from phoner.core.models import (
    Booking,
    BookingStatus,
    Campaign,
    Company,
    Consultant,
    Jobcenter,
    utcnow,
)
from phoner.core.phones import format_phone
from phoner.formats.ics import FeedEvent, build_calendar
from phoner.formats.private_files import private_dir, write_private_bytes


def _answers_text(answers: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in answers.items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        lines.append(f"  {str(key).replace('_', ' ')}: {value}")
    return lines


@dataclass(frozen=True)
class FeedRow:
    """What a calendar event shows about one visit (read in one lean query)."""

    consultant_id: int
    booking_id: int
    uid: str
    start: dt.datetime
    end: dt.datetime
    sequence: int
    created_at: dt.datetime
    modified_at: dt.datetime
    booked_by: str
    contact_person: str | None
    contact_email: str | None
    contact_mobile: str | None
    details: dict[str, Any]
    company: str
    cvr: str | None
    phones: list[str]
    company_contact: str | None
    company_email: str | None
    address: str | None
    postcode: str | None
    city: str | None
    industry: str | None
    employees: int | None
    campaign: str


@lru_cache(maxsize=8192)
def _phone(e164: str) -> str:
    """Danish display format, memoised (every feed request formats every number)."""
    return format_phone(e164)


def event_summary(row: FeedRow) -> str:
    """The event title in the consultant's calendar."""
    return f"Virksomhedsbesøg: {row.company}"


def event_description(row: FeedRow, page_url: str | None = None) -> str:
    """The event text: everything the phoner learned, for the consultant; with
    ``page_url``, its last line is the link to the visit's page."""
    details = row.details or {}
    lines: list[str] = [f"Virksomhed: {row.company}"]
    if row.cvr:
        lines.append(f"CVR: {row.cvr}")
    lines.append(f"Kontaktperson: {row.contact_person or row.company_contact or 'ikke oplyst'}")
    phones = [_phone(p) for p in row.phones]
    lines.append(f"Telefon: {', '.join(phones) if phones else 'ikke oplyst'}")
    if row.contact_mobile:
        lines.append(f"Mobil: {_phone(row.contact_mobile)}")
    lines.append(f"E-mail: {row.contact_email or row.company_email or 'ikke oplyst'}")
    address = full_address(row)
    if address:
        lines.append(f"Adresse: {address}")
    if row.industry:
        lines.append(f"Branche: {row.industry}")
    if row.employees is not None:
        lines.append(f"Antal ansatte: {row.employees}")
    needs = details.get("needs") or {}
    needs_text = details.get("needs_text")
    if needs_text:
        lines.append("")
        lines.append("Behov:")
        lines.extend(f"  {label}: {value}" for label, value in needs_text)
    elif needs:
        lines.append("")
        lines.append("Behov:")
        lines.extend(_answers_text(needs))
    answers = details.get("answers") or {}
    answers_text = details.get("answers_text")
    if answers_text:
        lines.append("")
        lines.append("Svar i opkaldet:")
        lines.extend(f"  {question} — {answer}" for question, answer in answers_text)
    elif answers:
        lines.append("")
        lines.append("Svar i opkaldet:")
        lines.extend(_answers_text(answers))
    if details.get("note"):
        lines.append("")
        lines.append(f"Note fra telefonisten: {details['note']}")
    lines.append("")
    lines.append(f"Booket af: {details.get('phoner') or row.booked_by}")
    lines.append(f"Kampagne: {row.campaign}")
    lines.append(f"Besøg nr.: {row.booking_id}")
    if page_url:
        lines.append("")
        lines.append(visit_pages.link_line(page_url))
    return "\n".join(lines)


def full_address(co: Any) -> str:
    """``"Nørregade 12, 4600 Køge"`` from anything with address, postcode and city."""
    town = " ".join(p for p in (co.postcode, co.city) if p)
    return ", ".join(p for p in (co.address, town) if p)


@dataclass(frozen=True)
class Feed:
    body: bytes
    last_modified: dt.datetime | None
    events: int


def calendar_name(consultant: Consultant) -> str:
    return f"Virksomhedsbesøg – {consultant.name}"


_FEED_COLUMNS = (
    col(Booking.consultant_id),
    col(Booking.id),
    col(Booking.uid),
    col(Booking.start),
    col(Booking.end),
    col(Booking.sequence),
    col(Booking.created_at),
    col(Booking.modified_at),
    col(Booking.booked_by),
    col(Booking.contact_person),
    col(Booking.contact_email),
    col(Booking.contact_mobile),
    col(Booking.details),
    col(Company.name),
    col(Company.cvr),
    col(Company.phones),
    col(Company.contact_person),
    col(Company.email),
    col(Company.address),
    col(Company.postcode),
    col(Company.city),
    col(Company.industry),
    col(Company.employees),
    col(Campaign.name),
)


def feed_rows(
    *, session: Session, consultant_ids: Sequence[int] | None = None
) -> dict[int, list[FeedRow]]:
    """The booked (not cancelled) visits per consultant, for their feeds."""
    q = (
        sa.select(*_FEED_COLUMNS)
        .join(Company, col(Company.id) == col(Booking.company_id))
        .join(Campaign, col(Campaign.id) == col(Booking.campaign_id))
        .where(col(Booking.status) == BookingStatus.BOOKED)
        .order_by(col(Booking.start), col(Booking.id))
    )
    if consultant_ids is not None:
        q = q.where(col(Booking.consultant_id).in_(list(consultant_ids)))
    out: dict[int, list[FeedRow]] = defaultdict(list)
    for r in session.execute(q).all():
        row = FeedRow(*r)
        out[row.consultant_id].append(row)
    return out


def feed_row(*, session: Session, booking_id: int) -> FeedRow | None:
    """What the event of one visit shows, cancelled or not (for its invitations)."""
    q = (
        sa.select(*_FEED_COLUMNS)
        .join(Company, col(Company.id) == col(Booking.company_id))
        .join(Campaign, col(Campaign.id) == col(Booking.campaign_id))
        .where(col(Booking.id) == booking_id)
    )
    found = session.execute(q).first()
    return None if found is None else FeedRow(*found)


def last_modified(
    *, session: Session, consultant_ids: Sequence[int] | None = None
) -> dict[int, dt.datetime]:
    """The latest change of any of each consultant's visits, cancelled ones included (a
    cancellation changes the feed), so the feed's Last-Modified never moves backwards."""
    q = sa.select(col(Booking.consultant_id), sa.func.max(col(Booking.modified_at))).group_by(
        col(Booking.consultant_id)
    )
    if consultant_ids is not None:
        q = q.where(col(Booking.consultant_id).in_(list(consultant_ids)))
    out: dict[int, dt.datetime] = {}
    for cid, value in session.execute(q).all():
        if value is None:
            continue
        if isinstance(value, str):  # SQLite's max() returns the stored text
            value = dt.datetime.fromisoformat(value)
        out[int(cid)] = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return out


def page_url(base: str | None, consultant: Consultant, booking_id: int) -> str | None:
    """The visit page's link for the event, or None without a public address."""
    return visit_pages.visit_url(base, consultant, booking_id) if base else None


def _feed(
    consultant: Consultant,
    rows: list[FeedRow],
    last: dt.datetime | None,
    base: str | None = None,
) -> Feed:
    events = []
    for r in rows:
        url = page_url(base, consultant, r.booking_id)
        events.append(
            FeedEvent(
                uid=r.uid,
                start=r.start,
                end=r.end,
                summary=event_summary(r),
                location=full_address(r),
                description=event_description(r, url),
                sequence=r.sequence,
                created=r.created_at,
                last_modified=r.modified_at,
                url=url or "",
            )
        )
    body = build_calendar(
        name=calendar_name(consultant),
        events=events,
        description="Besøg booket af phoner. Aflyste besøg forsvinder fra kalenderen.",
    )
    return Feed(body=body, last_modified=last, events=len(events))


def consultant_feed(
    *, session: Session, consultant: Consultant, base_url: str | None = None
) -> Feed:
    """The consultant's calendar: every booked (not cancelled) visit; with ``base_url``
    (the server's public address) each event links to its visit page."""
    assert consultant.id is not None
    rows = feed_rows(session=session, consultant_ids=[consultant.id]).get(consultant.id, [])
    last = last_modified(session=session, consultant_ids=[consultant.id]).get(consultant.id)
    return _feed(consultant, rows, last, base_url)


# --------------------------------------------------------------------------- seen or not


#: A visit counts as seen by a fetch only if it was changed this long before the fetch
#: started. ``modified_at`` is stamped when a change is written, not when it commits, so
#: a change written just before a fetch began may commit after the fetch read its
#: snapshot; no phoner write transaction lasts longer than this (SQLite's busy timeout is
#: 30 s). The cost: a visit changed within the margin waits for the next fetch.
SEEN_MARGIN = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class FeedStatus:
    """Whether a consultant has seen their calendar: last fetch and unseen visits."""

    consultant: Consultant
    jobcenter: str
    last_fetch: dt.datetime | None
    upcoming: int
    unseen: int
    next_unseen: dt.datetime | None

    @property
    def needs_chasing(self) -> bool:
        return self.last_fetch is None or self.unseen > 0


def feed_status(*, session: Session, now: dt.datetime | None = None) -> list[FeedStatus]:
    """Every active consultant with the upcoming visits booked or changed after their last
    feed fetch (those they cannot have seen yet; see :data:`SEEN_MARGIN`). Never fetched:
    every visit is unseen."""
    now = now or utcnow()
    consultants = session.exec(
        select(Consultant, Jobcenter.name)
        .join(Jobcenter, col(Jobcenter.id) == col(Consultant.jobcenter_id))
        .where(col(Consultant.active).is_(True))
        .order_by(col(Jobcenter.name), col(Consultant.name))
    ).all()
    upcoming: dict[int, list[Booking]] = defaultdict(list)
    for b in session.exec(
        select(Booking)
        .where(Booking.status == BookingStatus.BOOKED, col(Booking.end) > now)
        .order_by(col(Booking.start))
    ).all():
        upcoming[b.consultant_id].append(b)
    out: list[FeedStatus] = []
    for c, jobcenter in consultants:
        assert c.id is not None
        visits = upcoming.get(c.id, [])
        last = c.last_feed_fetch_at
        unseen = [b for b in visits if last is None or b.modified_at > last - SEEN_MARGIN]
        out.append(
            FeedStatus(
                consultant=c,
                jobcenter=jobcenter,
                last_fetch=last,
                upcoming=len(visits),
                unseen=len(unseen),
                next_unseen=unseen[0].start if unseen else None,
            )
        )
    return out


def write_feeds(*, session: Session, out_dir: Path) -> list[tuple[Consultant, Path, bool]]:
    """Write one .ics per active consultant into ``out_dir``; unchanged files are left as
    they are (events link to their visit pages when a public address is saved). Returns
    (consultant, path, changed)."""
    private_dir(out_dir)
    base = visit_pages.saved_base_url(session=session)
    rows = feed_rows(session=session)
    lasts = last_modified(session=session)
    written: list[tuple[Consultant, Path, bool]] = []
    for c in session.exec(
        select(Consultant).where(col(Consultant.active).is_(True)).order_by(col(Consultant.id))
    ).all():
        assert c.id is not None
        feed = _feed(c, rows.get(c.id, []), lasts.get(c.id), base)
        path = out_dir / feed_filename(c)
        changed = not path.is_file() or path.read_bytes() != feed.body
        if changed:
            tmp = path.with_suffix(".ics.tmp")
            write_private_bytes(tmp, feed.body)
            tmp.replace(path)
        written.append((c, path, changed))
    return written


def feed_filename(c: Consultant) -> str:
    """A readable, filesystem-safe file name (never the token: files get shared)."""
    base = c.email.split("@")[0].lower()
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in base)
    return f"{safe.strip('-.') or 'konsulent'}-{c.id}.ics"

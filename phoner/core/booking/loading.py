"""Building blocks that load booking rules from the database: a :class:`Planner` for one
company as the database is in a session, the company's jobcenter and its consultants.

They take a ``session`` and never commit; the use cases in
:mod:`phoner.core.booking.service` own the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core.booking.rules import ConsultantPlan, Interval, Planner
from phoner.core.clock import local_date, local_to_utc
from phoner.core.consultants import load_absences
from phoner.core.errors import NotFound
from phoner.core.models import Booking, BookingStatus, Campaign, Company, Consultant, Jobcenter

Absences = tuple[dict[int, list[Interval]], dict[int, str]]


def get_company(session: Session, company_id: int) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(f"Virksomheden med id {company_id} findes ikke.")
    return company


def company_jobcenter_id(session: Session, company: Company) -> int | None:
    """The company's jobcenter; falls back to the jobcenter of its municipality."""
    if company.jobcenter_id is not None:
        return company.jobcenter_id
    if company.municipality:
        jc = session.exec(
            select(Jobcenter).where(Jobcenter.municipality == company.municipality)
        ).first()
        if jc is not None:
            return jc.id
    return None


def booking_window(now: dt.datetime, campaign: Campaign) -> tuple[dt.datetime, dt.datetime]:
    today = local_date(now)
    return (
        local_to_utc(today, dt.time(0)),
        local_to_utc(today + dt.timedelta(days=campaign.horizon_days + 1), dt.time(0)),
    )


def build_planner(
    *,
    session: Session,
    company: Company,
    now: dt.datetime,
    extra_consultant_ids: Sequence[int] = (),
    exclude_booking_id: int | None = None,
    absences: Absences | None = None,
) -> Planner:
    """A :class:`Planner` for ``company`` from the database as it is in ``session``."""
    campaign = session.get(Campaign, company.campaign_id)
    if campaign is None:
        raise NotFound(f"Kampagnen for {company.name} findes ikke.")
    jobcenter_id = company_jobcenter_id(session, company)
    query = select(Consultant).where(col(Consultant.active).is_(True))
    if not campaign.any_jobcenter:
        query = query.where(Consultant.jobcenter_id == jobcenter_id)
    consultants = list(session.exec(query).all())
    known = {c.id for c in consultants}
    for cid in extra_consultant_ids:
        if cid not in known:
            extra = session.get(Consultant, cid)
            if extra is None:
                raise NotFound(f"Konsulenten med id {cid} findes ikke.")
            consultants.append(extra)
    start, end = booking_window(now, campaign)
    ids = [c.id for c in consultants]
    booked: dict[int, list[Interval]] = defaultdict(list)
    if ids:
        q = select(Booking.consultant_id, Booking.start, Booking.end).where(
            col(Booking.consultant_id).in_(ids),
            Booking.status == BookingStatus.BOOKED,
            col(Booking.start) < end,
            col(Booking.end) > start - dt.timedelta(days=1),
        )
        if exclude_booking_id is not None:
            q = q.where(Booking.id != exclude_booking_id)
        for cid, s, e in session.exec(q).all():
            booked[cid].append((s, e))
    if absences is None:
        absences = load_absences(consultants, start=start, end=end)
    return Planner(
        now=now,
        horizon_days=campaign.horizon_days,
        min_notice_days=campaign.min_notice_days,
        company_jobcenter_id=jobcenter_id,
        any_jobcenter=campaign.any_jobcenter,
        consultants=[ConsultantPlan.of(c) for c in consultants],
        bookings={k: sorted(v) for k, v in booked.items()},
        absences=absences[0],
        unreadable_absence=absences[1],
    )


def preload_absence(
    session: Session, consultant_ids: Sequence[int], company: Company, now: dt.datetime
) -> Absences:
    """Read absence calendars *before* the write transaction (network I/O under a lock
    would stall every other phoner)."""
    campaign = session.get(Campaign, company.campaign_id)
    assert campaign is not None
    jobcenter_id = company_jobcenter_id(session, company)
    query = select(Consultant).where(col(Consultant.absence_source).is_not(None))
    if campaign.any_jobcenter:
        consultants = list(session.exec(query).all())
    else:
        consultants = list(
            session.exec(
                query.where(
                    sa.or_(
                        col(Consultant.jobcenter_id) == jobcenter_id,
                        col(Consultant.id).in_(list(consultant_ids)),
                    )
                )
            ).all()
        )
    start, end = booking_window(now, campaign)
    return load_absences(consultants, start=start, end=end)

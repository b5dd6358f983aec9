"""The phoners report: per phoner and day, calls, active hours, calls per hour, outcomes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func

from phoner.core.clock import TZ
from phoner.core.display import format_date
from phoner.core.models import (
    SUBSTANTIVE_OUTCOMES,
    Booking,
    CallAttempt,
    Campaign,
    Outcome,
)
from phoner.core.reports.common import (
    ANSWER_OUTCOMES,
    TOTAL,
    counted_booking,
    frac,
)
from phoner.formats.report_output import Num, Report, ReportTable


def _utc_hour(session: Session, column: Any) -> ColumnElement[Any]:
    """SQL: the hour of a timestamp, a cheap grouping key.

    SQLite: the stored UTC text cut to ``YYYY-MM-DD HH``. PostgreSQL: ``date_trunc`` to the
    hour (in the session's time zone, which is UTC or Danish time: whole hours either way).
    Danish time is a whole number of hours off UTC, so every bucket is exactly one local
    clock hour; Python turns the few thousand buckets into local days.
    """
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(column, 1, 13)  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)
    return func.date_trunc("hour", column)


@lru_cache(maxsize=65536)
def _local_day(bucket: str | dt.datetime) -> dt.date:
    if isinstance(bucket, dt.datetime):
        aware = bucket if bucket.tzinfo else bucket.replace(tzinfo=dt.UTC)
        return aware.astimezone(TZ).date()
    utc = dt.datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
    return utc.astimezone(TZ).date()


_OUTCOME_CODES: tuple[str, ...] = tuple(o.value for o in Outcome)


_ANSWER_CODES: tuple[str, ...] = tuple(o.value for o in ANSWER_OUTCOMES)


_OTHER_CODES: tuple[str, ...] = tuple(o.value for o in Outcome if o not in SUBSTANTIVE_OUTCOMES)


@dataclass
class _PhonerDay:
    calls: int = 0
    hours: int = 0  # clock hours (per phoner and day) with at least one call
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_OUTCOME_CODES, 0))
    bookings: int = 0

    def merge(self, other: _PhonerDay) -> None:
        self.calls += other.calls
        self.hours += other.hours
        self.bookings += other.bookings
        for k, v in other.outcomes.items():
            self.outcomes[k] += v

    @property
    def active_hours(self) -> int:
        return self.hours

    def payload(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "active_hours": self.active_hours,
            "calls_per_hour": frac(self.calls, self.active_hours),
            "outcomes": dict(self.outcomes),
            "answered": sum(self.outcomes[o] for o in _ANSWER_CODES),
            "bookings": self.bookings,
        }


def phoners_report(*, session: Session, campaign: Campaign) -> Report:
    """Per phoner and day (Copenhagen): calls, active hours, calls per hour, outcomes, bookings."""
    assert campaign.id is not None
    hour = _utc_hour(session, col(CallAttempt.ended_at))
    outcome_col = col(CallAttempt.outcome)
    # one pass, one sort: calls per phoner-hour with the outcomes pivoted into columns
    pivot = [func.sum(sa.case((outcome_col == o, 1), else_=0)) for o in Outcome]
    days: dict[tuple[str, dt.date], _PhonerDay] = defaultdict(_PhonerDay)
    for phoner, bucket, n, *per_outcome in session.execute(
        sa.select(col(CallAttempt.phoner), hour, func.count(), *pivot)
        .where(col(CallAttempt.campaign_id) == campaign.id)
        .group_by(col(CallAttempt.phoner), hour)
    ).all():
        d = days[(phoner, _local_day(bucket))]
        d.calls += int(n)
        d.hours += 1
        for code, k in zip(_OUTCOME_CODES, per_outcome, strict=True):
            d.outcomes[code] += int(k or 0)
    b_hour = _utc_hour(session, col(Booking.created_at))
    for phoner, bucket, n in session.execute(
        sa.select(col(Booking.booked_by), b_hour, func.count())
        .where(col(Booking.campaign_id) == campaign.id, counted_booking())
        .group_by(col(Booking.booked_by), b_hour)
    ).all():
        days[(phoner, _local_day(bucket))].bookings += int(n)
    per_phoner: dict[str, _PhonerDay] = defaultdict(_PhonerDay)
    per_phoner_days: dict[str, list[tuple[dt.date, _PhonerDay]]] = defaultdict(list)
    for (phoner, local_day), d in sorted(days.items()):
        per_phoner[phoner].merge(d)
        per_phoner_days[phoner].append((local_day, d))
    total = _PhonerDay()
    for d in per_phoner.values():
        total.merge(d)
    data = {
        "campaign": campaign.name,
        "phoners": [
            {
                "phoner": p,
                **per_phoner[p].payload(),
                "days": [{"date": day.isoformat(), **d.payload()} for day, d in per_phoner_days[p]],
            }
            for p in sorted(per_phoner)
        ],
        "total": total.payload(),
    }

    def row(first: list[str], d: _PhonerDay) -> list[Any]:
        return [
            *first,
            d.calls,
            d.active_hours,
            Num(frac(d.calls, d.active_hours)),
            *(d.outcomes[o] for o in _ANSWER_CODES),
            sum(d.outcomes[o] for o in _OTHER_CODES),
            d.bookings,
        ]

    cols = [
        "Opkald",
        "Aktive timer",
        "Opkald pr. time",
        *(o.label for o in ANSWER_OUTCOMES),
        "Andre udfald",
        "Bookede besøg",
    ]
    day_rows = [
        row([p, format_date(day)], d) for p in sorted(per_phoner) for day, d in per_phoner_days[p]
    ]
    return Report(
        name="phoners",
        title="Telefonister",
        campaign=campaign.name,
        data=data,
        tables=[
            ReportTable(
                title="Pr. telefonist",
                sheet="Pr. telefonist",
                columns=["Telefonist", *cols],
                rows=[row([p], per_phoner[p]) for p in sorted(per_phoner)] + [row([TOTAL], total)],
                total_rows=1,
            ),
            ReportTable(
                title="Pr. telefonist pr. dag",
                sheet="Pr. dag",
                columns=["Telefonist", "Dag", *cols],
                rows=day_rows,
            ),
        ],
        notes=[
            "Udfald tæller opkald (ikke virksomheder). Aktive timer = antal klokketimer med "
            "mindst ét opkald; opkald pr. time = opkald / aktive timer. Dage og timer er "
            "dansk tid.",
            "Bookede besøg tælles på den dag, de blev booket; et flyttet besøg tæller én gang.",
        ],
    )

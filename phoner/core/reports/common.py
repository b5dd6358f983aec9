"""What every report shares: the counting rules, the labels and the common queries.

Counting rules (the evaluations' conventions):

- a company counts once, in *its own* round (``Company.round_id``), with its final
  outcome: ``Company.final_outcome``, else the outcome of its last call
  (``Company.last_outcome``), however many times and in whichever rounds it was called;
- *answered* (besvaret) = one of the four substantive outcomes;
- *companies in the round* = companies of the round that were called, plus those not
  called yet that the jobcenter's clearing kept and that are in the target group
  (companies removed in clearing and never called are not part of the campaign, nor
  are companies on the do-not-call register that were never called);
- AAPOR rates use :data:`~phoner.core.models.AAPOR_CLASS` and the campaign's ``aapor_e``;
- a moved booking counts once (the new one): :func:`counted_booking`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from phoner.core.lists.eligibility import kept_clause
from phoner.core.models import (
    Booking,
    BookingStatus,
    CancelReason,
    Company,
    Outcome,
    Round,
)

#: The four substantive outcomes in the evaluations' column order.
ANSWER_OUTCOMES: tuple[Outcome, ...] = (
    Outcome.VIL_KONTAKTES,
    Outcome.IKKE_INTERESSERET,
    Outcome.HAR_FLEKSJOBBERE,
    Outcome.HAR_KONTAKT,
)
NO_ROUND_LABEL = "Uden omgang"
NO_JOBCENTER = "Uden jobcenter"
NO_CONSULTANT = "Ingen ansvarlig"
TOTAL = "I alt"


def frac(num: float, den: float) -> float | None:
    return None if not den else num / den


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1) of ``values``; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def final_outcome() -> ColumnElement[Any]:
    """SQL: the company's final outcome (final, else the last call's)."""
    return func.coalesce(col(Company.final_outcome), col(Company.last_outcome))


def as_outcome(value: Any) -> Outcome | None:
    if value is None:
        return None
    return value if isinstance(value, Outcome) else Outcome(str(value))


def in_campaign_clause(campaign_id: int) -> ColumnElement[bool]:
    """Companies that are part of the campaign's reported population (see module doc)."""
    return sa.and_(
        col(Company.campaign_id) == campaign_id,
        sa.or_(
            final_outcome().is_not(None),
            sa.and_(
                kept_clause(),
                col(Company.out_of_target).is_(None),
                col(Company.blocked_id).is_(None),  # blocked: never to be called
            ),
        ),
    )


def campaign_rounds(session: Session, campaign_id: int) -> list[Round]:
    return list(
        session.exec(
            select(Round).where(Round.campaign_id == campaign_id).order_by(col(Round.number))
        ).all()
    )


def outcomes_by_round(
    session: Session, campaign_id: int
) -> dict[int | None, dict[Outcome | None, int]]:
    """Companies per (round id, final outcome) for the reported population."""
    outcome = final_outcome().label("outcome")
    rows = session.execute(
        sa.select(col(Company.round_id), outcome, func.count().label("n"))
        .where(
            in_campaign_clause(campaign_id),
            sa.or_(col(Company.round_id).is_not(None), final_outcome().is_not(None)),
        )
        .group_by(col(Company.round_id), final_outcome())
    ).all()
    out: dict[int | None, dict[Outcome | None, int]] = defaultdict(dict)
    for round_id, value, n in rows:
        out[round_id][as_outcome(value)] = int(n)
    return out


def counted_booking() -> ColumnElement[bool]:
    """A booking that counts as a booked visit (a moved booking counts once: the new one;
    a booking withdrawn as a mistake by an undo of the call counts not at all)."""
    return sa.not_(
        sa.and_(
            col(Booking.status) == BookingStatus.CANCELLED,
            # a cancellation without a reason (imported "aflyst") counts: without this,
            # NULL IN (...) is NULL and the booking fell out of every report
            col(Booking.cancel_reason).is_not(None),
            col(Booking.cancel_reason).in_([CancelReason.MOVED, CancelReason.FEJLBOOKING]),
        )
    )

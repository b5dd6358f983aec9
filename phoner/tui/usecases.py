"""The coordinator screens' reads and writes: the one place they reach into core.

Each function takes the :class:`~phoner.core.db.Database`, opens its own unit of work
and returns what the screen shows (or a sign of what changed). The screens call them
from :func:`phoner.tui.workers.db_worker` threads, never on the UI thread. Core is being
split into packages (``core/lists/``, ``core/booking/``, ``core/reports/``): when a
module moves, the import lines here follow, and the screens stay as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from phoner.core import followups as _followups
from phoner.core import lookups as _lookups
from phoner.core import models as _models
from phoner.core import visits as _visits
from phoner.core import vocabulary as _vocabulary
from phoner.core.booking import choices as _booking_choices
from phoner.core.booking import listing as _booking_listing
from phoner.core.booking import rules as _booking_rules
from phoner.core.booking import service as _booking
from phoner.core.db import Database
from phoner.core.display import format_stamp
from phoner.core.errors import NotFound
from phoner.core.lists import clearing as _clearing
from phoner.core.lists import records as _records
from phoner.core.lists import review as _review
from phoner.core.lists import signoff as _signoff
from phoner.core.models import (
    AgreementCategory,
    CancelReason,
    ClearingState,
    CompanyCancelReason,
    MeetingStatus,
)
from phoner.core.queue import claims as _claims
from phoner.core.reports import common as _reports_common
from phoner.core.reports import dashboard as _dashboard
from phoner.tui.i18n import Labels, t

# What the screens show of core's results (types and labels), re-exported in one place.
Dashboard = _dashboard.Dashboard
NO_ROUND_LABEL = _reports_common.NO_ROUND_LABEL
NO_CONSULTANT = _reports_common.NO_CONSULTANT  # core's name for "no consultant"
FollowUpRow = _followups.FollowUpRow
VisitRow = _visits.VisitRow
# core's labels in the TUI's language (PHONER_LANG), looked up when shown
MEETING_STATUS_LABELS = Labels(
    "label.meeting", _models.MeetingStatus, _visits.MEETING_STATUS_LABELS
)
CANCEL_REASON_LABELS = Labels(
    "label.company_cancel", _models.CompanyCancelReason, _visits.CANCEL_REASON_LABELS
)
BookingRow = _booking_listing.BookingRow
CANCEL_LABELS = Labels(
    "label.cancel", _models.CancelReason, _vocabulary.labels(_models.CancelReason)
)
HeldCompany = _claims.HeldCompany
AGREEMENT_LABELS = Labels(
    "label.agreement", _models.AgreementCategory, _vocabulary.labels(_models.AgreementCategory)
)
# The booking dialog's use cases (its one read searches slots day by day in one session).
Slot = _booking_rules.Slot
BookingRefused = _booking_rules.BookingRefused
SlotChoices = _booking_choices.SlotChoices
slot_choices = _booking_choices.slot_choices
book_visit = _booking.book_visit
move_booking = _booking.move_booking
FLAG_LABELS = Labels("label.flag", _records.FLAG_LABELS, _records.FLAG_LABELS)
DECISION_LABELS = Labels("label.decision", _models.ClearingState, _clearing.DECISION_LABELS)
CLEARING_REASON_LABELS = Labels(
    "label.clearing_reason", _models.ClearingReason, _vocabulary.labels(_models.ClearingReason)
)
ClearingRow = _clearing.ClearingRow
SignOffResult = _signoff.SignOffResult
ClearingFilter = _review.ClearingFilter


@contextmanager
def _in_tui_words() -> Iterator[None]:
    """A campaign, jobcenter or company gone meanwhile, said in the TUI's words."""
    try:
        yield
    except _lookups.RowMissing as exc:
        raise NotFound(t(f"error.no_{exc.kind}", id=exc.row_id)) from exc


# --------------------------------------------------------------------------- dashboard


def dashboard(db: Database, *, campaign_id: int, today: dt.date) -> Dashboard:
    with _in_tui_words():
        return _dashboard.campaign_dashboard(db=db, campaign_id=campaign_id, today=today)


def held_companies(db: Database, *, campaign_id: int, now: dt.datetime) -> list[HeldCompany]:
    """The companies phoners hold right now, the stalest first."""
    with db.session() as session:
        return _claims.held_companies(session=session, campaign_id=campaign_id, now=now)


def release_stale_lease(
    db: Database, *, held: HeldCompany, coordinator: str, now: dt.datetime
) -> None:
    """Give a stale lease back to the queue (audited; refused if the phoner came back)."""
    _claims.release_stale(
        db=db,
        company_id=held.company_id,
        lease_token=held.lease_token,
        coordinator=coordinator,
        now=now,
    )


# --------------------------------------------------------------------------- follow-ups


def followups(
    db: Database,
    *,
    campaign_id: int,
    consultant_id: int | None,
    include_done: bool,
    today: dt.date,
) -> list[FollowUpRow]:
    with db.session() as session:
        return _followups.list_followups(
            session=session,
            campaign_id=campaign_id,
            consultant_id=consultant_id,
            include_done=include_done,
            today=today,
        )


def mark_followup_done(
    db: Database, *, followup_id: int, actor: str, note: str | None, now: dt.datetime
) -> None:
    with db.session(write=True) as session:
        _followups.mark_done(
            session=session, followup_id=followup_id, actor=actor, note=note, now=now
        )


# --------------------------------------------------------------------------- visits


def visits(
    db: Database, *, campaign_id: int, consultant_id: int | None, missing_only: bool
) -> list[VisitRow]:
    with db.session() as session:
        return _visits.list_visits(
            session=session,
            campaign_id=campaign_id,
            consultant_id=consultant_id,
            missing_result=missing_only,
        )


@dataclass(frozen=True)
class VisitResultInput:
    """What the visit result form returns."""

    status: MeetingStatus
    reason: CompanyCancelReason | None
    agreements: dict[AgreementCategory, int]
    note: str | None


def record_visit_result(
    db: Database, *, booking_id: int, value: VisitResultInput, actor: str, now: dt.datetime
) -> None:
    with db.session(write=True) as session:
        _visits.record_visit_result(
            session=session,
            booking_id=booking_id,
            status=value.status,
            actor=actor,
            company_cancel_reason=value.reason,
            agreements=value.agreements,
            note=value.note,
            now=now,
        )


# --------------------------------------------------------------------------- clearing


Clearing = _review.ClearingSheet


def clearing(
    db: Database, *, campaign_id: int, jobcenter_id: int, proposal: ClearingFilter
) -> Clearing:
    with _in_tui_words():
        return _review.clearing_sheet(
            db=db, campaign_id=campaign_id, jobcenter_id=jobcenter_id, proposal=proposal
        )


def set_clearing_decision(
    db: Database, *, company_id: int, decision: ClearingState, actor: str, reason: str | None
) -> bool:
    """Keep or remove one company; False when nothing changed."""
    with _in_tui_words():
        return _review.set_decision(
            db=db, company_id=company_id, decision=decision, actor=actor, reason=reason
        )


def sign_off(
    db: Database, *, campaign_id: int, jobcenter_id: int, actor: str, force: bool
) -> SignOffResult:
    with _in_tui_words():
        return _review.sign_off(
            db=db, campaign_id=campaign_id, jobcenter_id=jobcenter_id, actor=actor, force=force
        )


# --------------------------------------------------------------------------- bookings


def bookings(db: Database, *, campaign_id: int, since: dt.datetime) -> list[BookingRow]:
    with db.session() as session:
        return _booking_listing.list_bookings(session=session, campaign_id=campaign_id, since=since)


def cancel_booking(
    db: Database, *, booking_id: int, reason: CancelReason, actor: str, now: dt.datetime
) -> None:
    _booking.cancel_booking(db=db, booking_id=booking_id, reason=reason, actor=actor, now=now)


def local_text(when: dt.datetime) -> str:
    """``dd.mm.yyyy hh:mm`` in Copenhagen (how the clearing sheet writes times)."""
    return format_stamp(when)

"""Booking visits under the near-date rules: slot search, book, move, cancel, feeds.

The rules (campaign: horizon, minimum notice, own jobcenter; consultant: working days and
hours, visits per day, travel buffer, visit length, absence; Denmark: public holidays)
live in one place, :class:`Planner`, which answers two questions from plain data:

- :meth:`Planner.violation`: may consultant C be booked at time T? (the first broken rule)
- :meth:`Planner.slots`: the free slots, earliest first, across consultants.

The two are implemented independently (a direct predicate and an interval scan), and the
property tests hold them to each other. Every write re-checks the rules *inside* its
transaction after taking the consultant's lock (SQLite: ``BEGIN IMMEDIATE`` takes the
database write lock; PostgreSQL: ``SELECT ... FOR UPDATE`` on the consultant row), so two
phoners can never book the same consultant into the same time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core import audit
from phoner.core.call_scripts import CallScript, load_script
from phoner.core.consultants import email_is_valid, load_absences
from phoner.core.db import Database
from phoner.core.errors import Conflict, InvalidInput, NotFound, PhonerError, RuleViolation
from phoner.core.models import (
    Booking,
    BookingStatus,
    CallAttempt,
    Campaign,
    CancelReason,
    Company,
    Consultant,
    FollowUp,
    FollowUpKind,
    Jobcenter,
    utcnow,
)
from phoner.core.phones import format_phone, parse_phone
from phoner.core.workdays import (
    WEEKDAYS_DA,
    add_working_days,
    format_local,
    holiday_name,
    local_date,
    local_to_utc,
    to_local,
)
from phoner.formats.ics import FeedEvent, build_calendar
from phoner.formats.private_files import private_dir, write_private_bytes

#: Visits start on the quarter hour (09:00, 09:15, ...).
SLOT_STEP_MINUTES = 15
UID_DOMAIN = "phoner"

Interval = tuple[dt.datetime, dt.datetime]


class Rule(StrEnum):
    """The booking rules, by stable code (shown to users through the messages)."""

    INACTIVE = "konsulent_inaktiv"
    JOBCENTER = "eget_jobcenter"
    PAST = "fortid"
    NOTICE = "mindste_varsel"
    HORIZON = "bookinghorisont"
    HOLIDAY = "helligdag"
    WORKING_DAY = "arbejdsdag"
    QUARTER = "hele_kvarterer"
    WORKING_HOURS = "arbejdstid"
    MAX_PER_DAY = "besoeg_pr_dag"
    OVERLAP = "overlap_transporttid"
    ABSENCE = "fravaer"
    COMPANY_BOOKED = "allerede_booket"


@dataclass(frozen=True)
class Violation:
    rule: Rule
    message: str


@dataclass(frozen=True)
class Slot:
    """A free time with one consultant (UTC)."""

    consultant_id: int
    consultant_name: str
    start: dt.datetime
    end: dt.datetime

    @property
    def local_start(self) -> dt.datetime:
        return to_local(self.start)

    @property
    def day(self) -> dt.date:
        return local_date(self.start)

    def label(self) -> str:
        """``"man 2027-03-29 kl. 09:00–10:00 hos Karen Mikkelsen"``."""
        return f"{format_local(self.start)}–{to_local(self.end):%H:%M} hos {self.consultant_name}"


class BookingRefused(RuleViolation):
    """A booking request broke a rule; carries the rule and the nearest valid alternative."""

    def __init__(
        self,
        violation: Violation,
        *,
        nearest: Slot | None,
        first: Slot | None,
    ) -> None:
        parts = [violation.message]
        if first is None:
            parts.append("Der er ingen ledige tider inden for bookinghorisonten.")
        elif nearest is not None and nearest.start != first.start:
            parts.append(f"Nærmeste ledige tid: {nearest.label()}.")
            parts.append(f"Første ledige tid: {first.label()}.")
        else:
            parts.append(f"Første ledige tid: {(nearest or first).label()}.")
        super().__init__(" ".join(parts), hint=None)
        self.rule = violation.rule
        self.violation = violation
        self.alternative = nearest or first
        self.first = first


@dataclass(frozen=True)
class ConsultantPlan:
    """A consultant's booking rules as plain data."""

    id: int
    name: str
    jobcenter_id: int
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    work_start: dt.time = dt.time(8, 30)
    work_end: dt.time = dt.time(15, 30)
    max_visits_per_day: int = 3
    travel_buffer_minutes: int = 30
    visit_minutes: int = 60
    active: bool = True

    @classmethod
    def of(cls, c: Consultant) -> ConsultantPlan:
        assert c.id is not None
        return cls(
            id=c.id,
            name=c.name,
            jobcenter_id=c.jobcenter_id,
            working_days=frozenset(int(d) for d in c.working_days),
            work_start=c.work_start,
            work_end=c.work_end,
            max_visits_per_day=c.max_visits_per_day,
            travel_buffer_minutes=c.travel_buffer_minutes,
            visit_minutes=c.visit_minutes,
            active=c.active,
        )


def _hm(t: dt.time) -> str:
    return f"{t:%H:%M}"


def _span(iv: Interval) -> str:
    return f"{to_local(iv[0]):%H:%M}–{to_local(iv[1]):%H:%M}"


def _ceil_step(minutes: int) -> int:
    return -(-minutes // SLOT_STEP_MINUTES) * SLOT_STEP_MINUTES


@dataclass
class Planner:
    """The booking rules for one company at one moment, over plain data."""

    now: dt.datetime
    horizon_days: int
    min_notice_days: int
    company_jobcenter_id: int | None
    any_jobcenter: bool
    consultants: Sequence[ConsultantPlan]
    bookings: dict[int, list[Interval]] = field(default_factory=dict)
    absences: dict[int, list[Interval]] = field(default_factory=dict)
    unreadable_absence: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.today = local_date(self.now)
        self.earliest_day = add_working_days(self.today, self.min_notice_days)
        self.latest_day = self.today + dt.timedelta(days=self.horizon_days)
        self._by_id = {c.id: c for c in self.consultants}
        self._per_day: dict[int, dict[dt.date, int]] = {}
        for cid, ivs in self.bookings.items():
            counts: dict[dt.date, int] = defaultdict(int)
            for s, _e in ivs:
                counts[local_date(s)] += 1
            self._per_day[cid] = counts

    # -- which consultants

    def allowed(self, c: ConsultantPlan) -> bool:
        return c.active and (self.any_jobcenter or c.jobcenter_id == self.company_jobcenter_id)

    def candidates(self, consultant_id: int | None = None) -> list[ConsultantPlan]:
        return [
            c
            for c in self.consultants
            if self.allowed(c) and (consultant_id is None or c.id == consultant_id)
        ]

    def visits_on(self, consultant_id: int, day: dt.date) -> int:
        return self._per_day.get(consultant_id, {}).get(day, 0)

    # -- the predicate

    def violation(self, consultant_id: int, start: dt.datetime) -> Violation | None:
        """The first rule that booking ``consultant_id`` at ``start`` breaks, or None."""
        c = self._by_id.get(consultant_id)
        if c is None:
            return Violation(Rule.JOBCENTER, "Konsulenten er ukendt for denne virksomhed.")
        if not c.active:
            return Violation(Rule.INACTIVE, f"{c.name} er ikke aktiv konsulent.")
        if not self.allowed(c):
            return Violation(
                Rule.JOBCENTER,
                f"{c.name} hører ikke til virksomhedens jobcenter "
                "(kampagnen booker kun konsulenter fra virksomhedens eget jobcenter).",
            )
        local = to_local(start)
        day = local.date()
        end = start + dt.timedelta(minutes=c.visit_minutes)
        if start <= self.now:
            return Violation(Rule.PAST, "Tidspunktet er allerede passeret.")
        if day < self.earliest_day:
            return Violation(
                Rule.NOTICE,
                f"For kort varsel: mindst {self.min_notice_days} arbejdsdage "
                f"(tidligste dag er {self.earliest_day.isoformat()}).",
            )
        if day > self.latest_day:
            return Violation(
                Rule.HORIZON,
                f"Uden for bookinghorisonten (seneste dag er {self.latest_day.isoformat()}).",
            )
        name = holiday_name(day)
        if name is not None:
            return Violation(Rule.HOLIDAY, f"{day.isoformat()} er helligdag ({name}).")
        if day.weekday() not in c.working_days:
            return Violation(
                Rule.WORKING_DAY, f"{c.name} arbejder ikke om {WEEKDAYS_DA[day.weekday()]}en."
            )
        if local.minute % SLOT_STEP_MINUTES or local.second or local.microsecond:
            return Violation(
                Rule.QUARTER, "Besøg starter på hele kvarterer (fx 09:00, 09:15, 09:30)."
            )
        local_end = to_local(end)
        if local.time() < c.work_start or local_end.date() != day or local_end.time() > c.work_end:
            return Violation(
                Rule.WORKING_HOURS,
                f"Uden for {c.name}s arbejdstid ({_hm(c.work_start)}–{_hm(c.work_end)}; "
                f"et besøg varer {c.visit_minutes} min.).",
            )
        if self.visits_on(c.id, day) >= c.max_visits_per_day:
            return Violation(
                Rule.MAX_PER_DAY,
                f"{c.name} har allerede {c.max_visits_per_day} besøg den "
                f"{day.isoformat()} (højst {c.max_visits_per_day} pr. dag).",
            )
        buffer = dt.timedelta(minutes=c.travel_buffer_minutes)
        for b in self.bookings.get(c.id, []):
            if start < b[1] and b[0] < end:
                return Violation(Rule.OVERLAP, f"Overlapper et andet besøg (kl. {_span(b)}).")
            if start < b[1] + buffer and b[0] - buffer < end:
                return Violation(
                    Rule.OVERLAP,
                    f"For tæt på et andet besøg (kl. {_span(b)}): der skal være "
                    f"{c.travel_buffer_minutes} min. transporttid imellem.",
                )
        if c.id in self.unreadable_absence:
            return Violation(
                Rule.ABSENCE,
                f"{c.name}s fraværskalender kan ikke læses ({self.unreadable_absence[c.id]}), "
                "så phoner kan ikke se, om konsulenten er ledig.",
            )
        for a in self.absences.get(c.id, []):
            if start < a[1] and a[0] < end:
                return Violation(Rule.ABSENCE, f"{c.name} er fraværende på det tidspunkt.")
        return None

    # -- the scan

    def _day_open(self, c: ConsultantPlan, day: dt.date) -> bool:
        return (
            self.earliest_day <= day <= self.latest_day
            and day.weekday() in c.working_days
            and holiday_name(day) is None
            and self.visits_on(c.id, day) < c.max_visits_per_day
            and c.id not in self.unreadable_absence
        )

    def _day_slots(self, c: ConsultantPlan, day: dt.date) -> list[Slot]:
        """Non-overlapping suggestions for one consultant on one day, earliest first."""
        if not self._day_open(c, day):
            return []
        visit = dt.timedelta(minutes=c.visit_minutes)
        buffer = dt.timedelta(minutes=c.travel_buffer_minutes)
        day_start = local_to_utc(day, dt.time(0))
        day_end = local_to_utc(day + dt.timedelta(days=1), dt.time(0))
        blocked = sorted(
            [(s - buffer, e + buffer) for s, e in self.bookings.get(c.id, []) if s < day_end]
            + [(s, e) for s, e in self.absences.get(c.id, []) if s < day_end and e > day_start]
        )
        first = _ceil_step(c.work_start.hour * 60 + c.work_start.minute)
        last = c.work_end.hour * 60 + c.work_end.minute - c.visit_minutes
        out: list[Slot] = []
        minute = first
        while minute <= last:
            start = local_to_utc(day, dt.time(minute // 60, minute % 60))
            if start <= self.now:
                minute += SLOT_STEP_MINUTES
                continue
            end = start + visit
            clash = next((b for b in blocked if b[0] < end and start < b[1]), None)
            if clash is not None:
                # jump to the first quarter hour at or after the end of the clash
                after = to_local(clash[1])
                if after.date() != day:
                    break
                minute = max(minute + SLOT_STEP_MINUTES, _ceil_step(after.hour * 60 + after.minute))
                continue
            out.append(Slot(c.id, c.name, start, end))
            minute = _ceil_step(minute + c.visit_minutes + c.travel_buffer_minutes)
        return out

    def slots(
        self, *, day: dt.date | None = None, consultant_id: int | None = None
    ) -> Iterator[Slot]:
        """Free slots, earliest first; ties go to the consultant with fewer visits that day."""
        consultants = self.candidates(consultant_id)
        if not consultants:
            return
        first = max(self.earliest_day, self.today)
        days: list[dt.date]
        if day is not None:
            days = [day]
        else:
            n = (self.latest_day - first).days
            days = [first + dt.timedelta(days=i) for i in range(n + 1)]
        for d in days:
            found: list[Slot] = []
            for c in consultants:
                found.extend(self._day_slots(c, d))
            found.sort(
                key=lambda s: (s.start, self.visits_on(s.consultant_id, d), s.consultant_name)
            )
            yield from found

    def nearest(self, consultant_id: int, start: dt.datetime) -> Slot | None:
        """The free slot closest to ``start``: with that consultant if possible, else any."""
        for cid in (consultant_id, None):
            best: Slot | None = None
            for s in self.slots(consultant_id=cid):
                if best is None or abs(s.start - start) < abs(best.start - start):
                    best = s
            if best is not None:
                return best
        return None

    def first(self) -> Slot | None:
        return next(iter(self.slots()), None)

    def refuse(
        self, violation: Violation, consultant_id: int, start: dt.datetime
    ) -> BookingRefused:
        return BookingRefused(
            violation, nearest=self.nearest(consultant_id, start), first=self.first()
        )


# --------------------------------------------------------------------------- loading


def _company(session: Session, company_id: int) -> Company:
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


def _window(now: dt.datetime, campaign: Campaign) -> tuple[dt.datetime, dt.datetime]:
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
    absences: tuple[dict[int, list[Interval]], dict[int, str]] | None = None,
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
    start, end = _window(now, campaign)
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


def find_slots(
    *,
    session: Session,
    company_id: int,
    now: dt.datetime | None = None,
    limit: int = 10,
    day: dt.date | None = None,
    consultant_id: int | None = None,
) -> list[Slot]:
    """The first free slots for a company, earliest first across its consultants."""
    now = now or utcnow()
    company = _company(session, company_id)
    planner = build_planner(session=session, company=company, now=now)
    out: list[Slot] = []
    for slot in planner.slots(day=day, consultant_id=consultant_id):
        out.append(slot)
        if len(out) >= limit:
            break
    return out


def check_request(
    *,
    session: Session,
    company_id: int,
    consultant_id: int,
    start: dt.datetime,
    now: dt.datetime | None = None,
) -> Violation | None:
    """The rule a booking request would break (None: it would be accepted now)."""
    now = now or utcnow()
    company = _company(session, company_id)
    planner = build_planner(
        session=session, company=company, now=now, extra_consultant_ids=[consultant_id]
    )
    return planner.violation(consultant_id, start)


# --------------------------------------------------------------------------- writes


def _lock_consultant(session: Session, consultant_id: int) -> Consultant:
    """Serialise bookings of one consultant (SQLite already holds the write lock)."""
    query = select(Consultant).where(Consultant.id == consultant_id)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        query = query.with_for_update()
    consultant = session.exec(query).first()
    if consultant is None:
        raise NotFound(f"Konsulenten med id {consultant_id} findes ikke.")
    return consultant


def _lock_booking(session: Session, booking_id: int) -> Booking:
    query = select(Booking).where(Booking.id == booking_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    booking = session.exec(query).first()
    if booking is None:
        raise NotFound(
            f"Besøget med nummer {booking_id} findes ikke.",
            hint="Se besøgene med: phoner booking list",
        )
    return booking


def _preload_absence(
    session: Session, consultant_ids: Sequence[int], company: Company, now: dt.datetime
) -> tuple[dict[int, list[Interval]], dict[int, str]]:
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
    start, end = _window(now, campaign)
    return load_absences(consultants, start=start, end=end)


def _clean_contact(
    contact_email: str | None, contact_mobile: str | None
) -> tuple[str | None, str | None]:
    email = contact_email.strip() if contact_email else None
    if email and not email_is_valid(email):
        raise InvalidInput(
            f"E-mailadressen {email!r} ser forkert ud.",
            hint="Skriv den som navn@firma.dk, eller lad feltet stå tomt.",
        )
    mobile = None
    if contact_mobile and contact_mobile.strip():
        mobile = parse_phone(contact_mobile)
        if mobile is None:
            raise InvalidInput(
                f"Mobilnummeret {contact_mobile!r} er ikke et gyldigt telefonnummer.",
                hint="Skriv fx 20 12 34 56 eller +45 20 12 34 56.",
            )
    return email, mobile


def _script_for(
    campaign: Campaign | None, script_hash: str | None, workspace: Path | None
) -> CallScript | None:
    """The campaign's call script as it was when the call was made, or None when it cannot
    be read or has changed since (answer keys of another version could mean other texts)."""
    if campaign is None or not campaign.script_path:
        return None
    path = Path(campaign.script_path)
    if not path.is_absolute() and workspace is not None:
        path = workspace / path
    try:
        script = load_script(path)
    except (PhonerError, OSError, ValueError):
        return None
    if script_hash and script_hash != script.hash:
        return None
    return script


def _value_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def readable_answers(script: CallScript, answers: dict[str, Any]) -> list[list[str]]:
    """[question text, answer text] per answer of the call, in the order given (unknown
    question ids or answer keys are shown as they are)."""
    out: list[list[str]] = []
    for qid, key in answers.items():
        question = script.questions.get(str(qid))
        if question is None:
            out.append([str(qid).replace("_", " "), _value_text(key)])
            continue
        answer = question.answer_for(str(key))
        out.append([question.text, answer.text if answer is not None else _value_text(key)])
    return out


def readable_needs(script: CallScript, needs: dict[str, Any]) -> list[list[str]]:
    """[label, value] per needs field, labels from the script (the key when unknown)."""
    labels = {f.key: f.label for f in script.needs_fields}
    return [
        [labels.get(str(k), str(k).replace("_", " ")), _value_text(v)] for k, v in needs.items()
    ]


def _details(
    session: Session, company: Company, attempt_id: int | None, workspace: Path | None = None
) -> dict[str, Any]:
    attempt: CallAttempt | None
    if attempt_id is not None:
        attempt = session.get(CallAttempt, attempt_id)
        if attempt is None or attempt.company_id != company.id:
            raise NotFound(f"Opkaldet med id {attempt_id} findes ikke for {company.name}.")
    else:
        attempt = session.exec(
            select(CallAttempt)
            .where(CallAttempt.company_id == company.id)
            .order_by(col(CallAttempt.ended_at).desc(), col(CallAttempt.id).desc())
        ).first()
    if attempt is None:
        return {}
    details: dict[str, Any] = {
        "answers": dict(attempt.answers),
        "needs": dict(attempt.needs),
        "note": attempt.note,
        "phoner": attempt.phoner,
        "attempt_id": attempt.id,
        "outcome": attempt.outcome.value,
    }
    if attempt.answers or attempt.needs:
        # the texts as the script said them at booking time: later edits of the script
        # do not change what an existing visit's calendar event says
        campaign = session.get(Campaign, company.campaign_id)
        script = _script_for(campaign, attempt.script_hash, workspace)
        if script is not None:
            details["answers_text"] = readable_answers(script, dict(attempt.answers))
            details["needs_text"] = readable_needs(script, dict(attempt.needs))
    return details


def _snapshot(b: Booking) -> dict[str, Any]:
    return {
        "consultant_id": b.consultant_id,
        "start": b.start.isoformat(),
        "end": b.end.isoformat(),
        "status": b.status.value,
        "sequence": b.sequence,
    }


def _company_booked(
    session: Session, company: Company, now: dt.datetime, exclude: int | None = None
) -> Booking | None:
    q = select(Booking).where(
        Booking.company_id == company.id,
        Booking.status == BookingStatus.BOOKED,
        col(Booking.end) > now,
    )
    if exclude is not None:
        q = q.where(Booking.id != exclude)
    return session.exec(q).first()


def book_visit(
    *,
    db: Database,
    company_id: int,
    consultant_id: int,
    start: dt.datetime,
    booked_by: str,
    attempt_id: int | None = None,
    contact_person: str | None = None,
    contact_email: str | None = None,
    contact_mobile: str | None = None,
    now: dt.datetime | None = None,
    workspace: Path | None = None,
) -> Booking:
    """Book a visit; refused with :class:`BookingRefused` if it breaks a rule.

    A relative campaign script path is read from ``workspace`` (default: the current
    directory) to store the call's answers as question and answer texts.

    The rules are checked inside the write transaction after locking the consultant, so
    a slot taken by another phoner a moment ago is refused, never double-booked.
    """
    now = now or utcnow()
    if start.tzinfo is None:
        raise ValueError("naive start time; use timezone-aware UTC")
    start = start.astimezone(dt.UTC)
    email, mobile = _clean_contact(contact_email, contact_mobile)
    with db.session() as session:
        absences = _preload_absence(session, [consultant_id], _company(session, company_id), now)
    with db.session(write=True) as session:
        consultant = _lock_consultant(session, consultant_id)
        company = _company(session, company_id)
        planner = build_planner(
            session=session,
            company=company,
            now=now,
            extra_consultant_ids=[consultant_id],
            absences=absences,
        )
        violation = planner.violation(consultant_id, start)
        if violation is not None:
            raise planner.refuse(violation, consultant_id, start)
        existing = _company_booked(session, company, now)
        if existing is not None:
            raise BookingRefused(
                Violation(
                    Rule.COMPANY_BOOKED,
                    f"{company.name} har allerede et besøg {format_local(existing.start)} "
                    f"(nr. {existing.id}). Flyt det i stedet (phoner booking move).",
                ),
                nearest=None,
                first=planner.first(),
            )
        booking = Booking(
            uid=f"{uuid.uuid4()}@{UID_DOMAIN}",
            campaign_id=company.campaign_id,
            company_id=company_id,
            consultant_id=consultant_id,
            attempt_id=attempt_id,
            start=start,
            end=start + dt.timedelta(minutes=consultant.visit_minutes),
            booked_by=booked_by,
            created_at=now,
            modified_at=now,
            contact_person=(contact_person or company.contact_person or None),
            contact_email=email or company.email,
            contact_mobile=mobile,
            details=_details(session, company, attempt_id, workspace),
        )
        session.add(booking)
        session.flush()
        for fu in session.exec(
            select(FollowUp).where(
                FollowUp.company_id == company_id,
                FollowUp.kind == FollowUpKind.CALL_COMPANY,
                col(FollowUp.done_at).is_(None),
            )
        ).all():
            fu.done_at = now
            fu.done_by = booked_by
            fu.note = f"Besøg booket {format_local(start)} (nr. {booking.id})."
            session.add(fu)
            audit.record(
                session,
                actor=booked_by,
                action="close",
                entity="followup",
                entity_id=fu.id,
                campaign_id=company.campaign_id,
                reason="besøg booket",
            )
        audit.record(
            session,
            actor=booked_by,
            action="book",
            entity="booking",
            entity_id=booking.id,
            campaign_id=company.campaign_id,
            new=_snapshot(booking),
        )
        return booking


def move_booking(
    *,
    db: Database,
    booking_id: int,
    start: dt.datetime,
    actor: str,
    consultant_id: int | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Move a visit to a new time (same UID, SEQUENCE raised), under the same rules.

    Moving to another consultant cancels the visit in the first consultant's calendar
    (reason: moved) and books a new one, so each calendar gets a clean change.
    """
    now = now or utcnow()
    start = start.astimezone(dt.UTC)
    with db.session() as session:
        b0 = session.get(Booking, booking_id)
        if b0 is None:
            raise NotFound(f"Besøget med nummer {booking_id} findes ikke.")
        target = consultant_id or b0.consultant_id
        absences = _preload_absence(session, [target], _company(session, b0.company_id), now)
    with db.session(write=True) as session:
        booking = _lock_booking(session, booking_id)
        if booking.status != BookingStatus.BOOKED:
            raise Conflict(f"Besøget nr. {booking_id} er aflyst og kan ikke flyttes.")
        for cid in sorted({booking.consultant_id, target}):
            _lock_consultant(session, cid)
        consultant = session.get(Consultant, target)
        assert consultant is not None
        company = _company(session, booking.company_id)
        planner = build_planner(
            session=session,
            company=company,
            now=now,
            extra_consultant_ids=[target],
            exclude_booking_id=booking.id,
            absences=absences,
        )
        violation = planner.violation(target, start)
        if violation is not None:
            raise planner.refuse(violation, target, start)
        old = _snapshot(booking)
        if target == booking.consultant_id:
            booking.start = start
            booking.end = start + dt.timedelta(minutes=consultant.visit_minutes)
            booking.sequence += 1
            booking.modified_at = max(now, booking.modified_at)
            booking.consultant_notified_at = None
            booking.reminder_sent_at = None
            session.add(booking)
            audit.record(
                session,
                actor=actor,
                action="move",
                entity="booking",
                entity_id=booking.id,
                campaign_id=booking.campaign_id,
                old=old,
                new=_snapshot(booking),
            )
            return booking
        _cancel(session, booking, CancelReason.MOVED, actor, now, note=None)
        moved = Booking(
            uid=f"{uuid.uuid4()}@{UID_DOMAIN}",
            campaign_id=booking.campaign_id,
            company_id=booking.company_id,
            consultant_id=target,
            attempt_id=booking.attempt_id,
            start=start,
            end=start + dt.timedelta(minutes=consultant.visit_minutes),
            booked_by=actor,
            created_at=now,
            modified_at=now,
            contact_person=booking.contact_person,
            contact_email=booking.contact_email,
            contact_mobile=booking.contact_mobile,
            details={**booking.details, "moved_from": booking.id},
        )
        session.add(moved)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="book",
            entity="booking",
            entity_id=moved.id,
            campaign_id=moved.campaign_id,
            new=_snapshot(moved),
            reason=f"flyttet fra besøg nr. {booking.id}",
        )
        return moved


def _cancel(
    session: Session,
    booking: Booking,
    reason: CancelReason,
    actor: str,
    now: dt.datetime,
    note: str | None,
) -> None:
    old = _snapshot(booking)
    booking.status = BookingStatus.CANCELLED
    booking.cancel_reason = reason
    booking.sequence += 1
    booking.modified_at = max(now, booking.modified_at)
    booking.consultant_notified_at = None
    session.add(booking)
    audit.record(
        session,
        actor=actor,
        action="cancel",
        entity="booking",
        entity_id=booking.id,
        campaign_id=booking.campaign_id,
        old=old,
        new=_snapshot(booking),
        reason=f"{reason.value}: {note}" if note else reason.value,
    )


def cancel_booking(
    *,
    db: Database,
    booking_id: int,
    reason: CancelReason,
    actor: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Cancel a visit: it leaves the consultant's feed and the consultant gets a notice."""
    now = now or utcnow()
    with db.session(write=True) as session:
        booking = _lock_booking(session, booking_id)
        if booking.status == BookingStatus.CANCELLED:
            raise Conflict(f"Besøget nr. {booking_id} er allerede aflyst.")
        _cancel(session, booking, reason, actor, now, note)
        return booking


CANCEL_LABELS: dict[CancelReason, str] = {
    CancelReason.COMPANY_CANCELLED: "Virksomheden aflyste",
    CancelReason.CONSULTANT_CANCELLED: "Konsulenten aflyste",
    CancelReason.MOVED: "Flyttet",
}


def parse_cancel_reason(text: str) -> CancelReason:
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {
        "virksomhed": CancelReason.COMPANY_CANCELLED,
        "virksomheden": CancelReason.COMPANY_CANCELLED,
        "company": CancelReason.COMPANY_CANCELLED,
        "konsulent": CancelReason.CONSULTANT_CANCELLED,
        "konsulenten": CancelReason.CONSULTANT_CANCELLED,
        "consultant": CancelReason.CONSULTANT_CANCELLED,
        "moved": CancelReason.MOVED,
    }
    if key in aliases:
        return aliases[key]
    try:
        return CancelReason(key)
    except ValueError:
        raise InvalidInput(
            f"Ukendt aflysningsgrund: {text!r}.",
            hint="Brug virksomhed, konsulent eller flyttet.",
        ) from None


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class BookingRow:
    booking: Booking
    company: Company
    consultant: Consultant
    campaign: Campaign


def list_bookings(
    *,
    session: Session,
    campaign_id: int | None = None,
    consultant_id: int | None = None,
    include_cancelled: bool = False,
    since: dt.datetime | None = None,
) -> list[BookingRow]:
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
    return [BookingRow(b, co, cons, camp) for b, co, cons, camp in rows]


# --------------------------------------------------------------------------- feeds


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


def event_description(row: FeedRow) -> str:
    """The event text: everything the phoner learned, for the consultant."""
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


def _feed(consultant: Consultant, rows: list[FeedRow], last: dt.datetime | None) -> Feed:
    events = [
        FeedEvent(
            uid=r.uid,
            start=r.start,
            end=r.end,
            summary=f"Virksomhedsbesøg: {r.company}",
            location=full_address(r),
            description=event_description(r),
            sequence=r.sequence,
            created=r.created_at,
            last_modified=r.modified_at,
        )
        for r in rows
    ]
    body = build_calendar(
        name=calendar_name(consultant),
        events=events,
        description="Besøg booket af phoner. Aflyste besøg forsvinder fra kalenderen.",
    )
    return Feed(body=body, last_modified=last, events=len(events))


def consultant_feed(*, session: Session, consultant: Consultant) -> Feed:
    """The consultant's calendar: every booked (not cancelled) visit."""
    assert consultant.id is not None
    rows = feed_rows(session=session, consultant_ids=[consultant.id]).get(consultant.id, [])
    last = last_modified(session=session, consultant_ids=[consultant.id]).get(consultant.id)
    return _feed(consultant, rows, last)


# --------------------------------------------------------------------------- seen or not


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
    feed fetch (those they cannot have seen yet). Never fetched: every visit is unseen."""
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
        unseen = [b for b in visits if last is None or b.modified_at > last]
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
    they are. Returns (consultant, path, changed)."""
    private_dir(out_dir)
    rows = feed_rows(session=session)
    lasts = last_modified(session=session)
    written: list[tuple[Consultant, Path, bool]] = []
    for c in session.exec(
        select(Consultant).where(col(Consultant.active).is_(True)).order_by(col(Consultant.id))
    ).all():
        assert c.id is not None
        feed = _feed(c, rows.get(c.id, []), lasts.get(c.id))
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


def company_consultants(*, session: Session, company_id: int) -> list[Consultant]:
    """The active consultants a company's visit may be booked with, by name."""
    company = _company(session, company_id)
    campaign = session.get(Campaign, company.campaign_id)
    query = select(Consultant).where(col(Consultant.active).is_(True))
    if campaign is None or not campaign.any_jobcenter:
        query = query.where(Consultant.jobcenter_id == company_jobcenter_id(session, company))
    return list(session.exec(query.order_by(col(Consultant.name))).all())

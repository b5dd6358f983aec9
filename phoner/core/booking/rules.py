"""The booking rules as plain data: no session, no database.

The rules (campaign: horizon, minimum notice, own jobcenter; consultant: working days and
hours, visits per day, travel buffer, visit length, absence; Denmark: public holidays)
live in one place, :class:`Planner`, which answers two questions from plain data:

- :meth:`Planner.violation`: may consultant C be booked at time T? (the first broken rule)
- :meth:`Planner.slots`: the free slots, earliest first, across consultants.

The two are implemented independently (a direct predicate and an interval scan), and the
property tests hold them to each other. :mod:`phoner.core.booking.loading` builds a
Planner from the database; :mod:`phoner.core.booking.writes` re-checks it inside every
write transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from phoner.core.clock import local_date, local_to_utc, to_local
from phoner.core.display import WEEKDAYS_DA, format_date, format_slot, format_time
from phoner.core.errors import CompanyNotBookable, RuleViolation
from phoner.core.models import ClearingState, Company, Consultant
from phoner.core.workdays import add_working_days, holiday_name

#: Visits start on the quarter hour (09:00, 09:15, ...).
SLOT_STEP_MINUTES = 15

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
        """``"man 29.03.2027 kl. 09.00–10.00 hos Karen Mikkelsen"``."""
        return f"{format_slot(self.start, self.end)} hos {self.consultant_name}"


class BookingRefused(RuleViolation):
    """A booking request broke a rule; carries the rule. The message names the nearest
    and the first free slot (the TUI shows it and refreshes its slot list; the CLI
    prints it)."""

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


def not_bookable(company: Company) -> CompanyNotBookable | None:
    """Why ``company`` may not be booked at all (None: it may be).

    It is on the do-not-call register, the jobcenter removed it in clearing, or it is
    outside the campaign's target group:
    the phoner's queue never hands such a company out, and a booking from anywhere else
    is a deliberate exception (named and audited by the use case), never a slip.
    """
    if company.blocked_id is not None:
        message = f"{company.name} har frabedt sig henvendelser (spærrelisten) og må ikke bookes."
    elif company.clearing_state == ClearingState.REMOVE:
        why = f" ({company.clearing_proposal.label.lower()})" if company.clearing_proposal else ""
        message = f"{company.name} er fjernet af jobcentret i clearingen{why} og må ikke bookes."
    elif company.out_of_target is not None:
        message = (
            f"{company.name} er uden for kampagnens målgruppe ({company.out_of_target}) "
            "og må ikke bookes."
        )
    else:
        return None
    return CompanyNotBookable(
        message, hint="En undtagelse skal være bevidst: den skrives i revisionssporet."
    )


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
    return format_time(t)


def _span(iv: Interval) -> str:
    return f"{format_time(iv[0])}–{format_time(iv[1])}"


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
                f"(tidligste dag er {format_date(self.earliest_day)}).",
            )
        if day > self.latest_day:
            return Violation(
                Rule.HORIZON,
                f"Uden for bookinghorisonten (seneste dag er {format_date(self.latest_day)}).",
            )
        name = holiday_name(day)
        if name is not None:
            return Violation(Rule.HOLIDAY, f"{format_date(day)} er helligdag ({name}).")
        if day.weekday() not in c.working_days:
            return Violation(
                Rule.WORKING_DAY, f"{c.name} arbejder ikke om {WEEKDAYS_DA[day.weekday()]}en."
            )
        if local.minute % SLOT_STEP_MINUTES or local.second or local.microsecond:
            return Violation(
                Rule.QUARTER, "Besøg starter på hele kvarterer (fx 09.00, 09.15, 09.30)."
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
                f"{format_date(day)} (højst {c.max_visits_per_day} pr. dag).",
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

"""Import bookings made elsewhere (a phoning contractor's sheet, another system's export).

A booking made outside phoner is a fact, not a request: the near-date rules (horizon,
notice, working days and hours, quarter hours, visits per day, travel time, own
jobcenter, holidays) are *not* enforced. Each row that breaks one is imported and counted
per rule in the summary (:attr:`BookingImportSummary.outside_rules`), so the coordinator
sees them. Past visits are allowed (a finished campaign is imported for its report).

Columns (matched case-, space- and spelling-insensitively, Danish or English:
:data:`FIELD_ALIASES`): ``CVR`` or ``P-nr.``, ``Konsulent`` (e-mail or name) and
``Start`` (``ÅÅÅÅ-MM-DD TT:MM``, Danish time, or a real Excel date cell; or ``Dato`` and
``Tid`` in two columns) are required; ``Varighed`` (minutes) or ``Slut``,
``Kontaktperson``, ``E-mail``, ``Mobil``, ``Note``, ``Booket af``, ``Booket den`` and
``Status`` (booket/aflyst) are optional. Without ``Varighed``/``Slut`` a visit lasts the
consultant's usual visit length.

What is refused (line and Danish reason into ``FILE.afviste.csv``, as every importer;
the good rows go in):

- a company not on the campaign's list, an unknown or ambiguous consultant, an unreadable
  cell (the reason names the column and what to write);
- a clash: the visit overlaps another booked visit of the same consultant (in phoner or
  earlier in the file), own times only: travel time is one of the counted rules;
- a second live booking of the same company (live: booked and not yet over), as phoner's
  own booking refuses it.

Idempotent: a row matches an existing booking of the campaign on company + consultant +
start. A match is ``unchanged``; a match that the file now says is ``aflyst`` is
cancelled. Importing the same file again changes nothing.

Imported bookings are ordinary bookings (feeds, reminders to the company, reports,
``visits`` results by CVR); they close the company's open "call the company"
follow-ups as a booking does. They send no invitations (the session is flagged
:data:`phoner.core.notify.NO_INVITATIONS`: the visit is already in the consultant's
calendar) and no change notice to the consultant (``consultant_notified_at`` is set).
An imported visit blocks its own time plus the consultant's travel buffer up to the next
visit (``blocked_end``; an earlier visit's blocked time is cut back to the imported
start), so PostgreSQL's exclusion constraint holds without refusing back-to-back visits
made elsewhere.

Speed: the rows are checked in one read transaction against a snapshot, then written in
batches of :data:`BATCH_ROWS` rows, each a short write transaction that re-checks the
rows against bookings made since the snapshot; a batch the database refuses anyway (a
phoner booked the same time in that instant) is written again row by row, and the
refused rows become rejects, never a crash.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from phoner.core import audit, importing
from phoner.core.booking.rules import Rule
from phoner.core.booking.writes import UID_DOMAIN, BookingTaken, is_guard_violation
from phoner.core.booking.writes import flush as guarded_flush
from phoner.core.campaigns import get_campaign
from phoner.core.clock import TZ, local_date, localize, to_local, utcnow
from phoner.core.companies import invalid_cvr_reason
from phoner.core.consultants import email_is_valid
from phoner.core.db import Database
from phoner.core.display import format_local
from phoner.core.errors import InvalidInput
from phoner.core.importing import ImportResult
from phoner.core.models import (
    AuditLog,
    Booking,
    BookingStatus,
    Campaign,
    ClearingState,
    Company,
    Consultant,
    FollowUp,
    FollowUpKind,
    Jobcenter,
)
from phoner.core.notify import NO_INVITATIONS
from phoner.core.phones import cvr_is_valid, normalize_cvr, parse_phone
from phoner.core.workdays import add_working_days, holiday_name
from phoner.formats.tabular import REJECT_META_HEADERS, HeaderMap, Row, map_headers, read_table

#: Rows of the file per write transaction (a short hold of SQLite's write lock).
BATCH_ROWS = 1_000
#: The importer's pause between two batches on SQLite, so a waiting phoner gets the lock
#: (see :data:`phoner.core.lists.import_run.SQLITE_PAUSE_SECONDS`).
SQLITE_PAUSE_SECONDS = 0.11
#: Longest visit a row may state (a typo guard: 12 hours).
MAX_MINUTES = 12 * 60
DEFAULT_BOOKED_BY = "Import"

FIELD_ALIASES: dict[str, list[str]] = {
    "cvr": ["CVR", "CVR-nr.", "CVR-nummer", "CVRnr", "CVR no", "VAT"],
    "p_number": ["P-nr.", "P-nummer", "Pnr", "P-number", "Produktionsenhed"],
    "consultant": [
        "Konsulent",
        "Virksomhedskonsulent",
        "Konsulentens e-mail",
        "Konsulent e-mail",
        "Rådgiver",
        "Consultant",
        "Advisor",
    ],
    "start": ["Start", "Starttidspunkt", "Mødetidspunkt", "Besøgstidspunkt", "Start time"],
    "date": ["Dato", "Mødedato", "Besøgsdato", "Date"],
    "time": ["Tid", "Klokkeslæt", "Kl.", "Starttid", "Time"],
    "duration": ["Varighed", "Varighed (min)", "Minutter", "Duration", "Minutes"],
    "end": ["Slut", "Sluttidspunkt", "Sluttid", "End", "End time"],
    "contact_person": ["Kontaktperson", "Kontakt", "Contact", "Contact person"],
    "email": ["E-mail", "Email", "Mail", "Kontaktens e-mail", "E-mailadresse"],
    "mobile": ["Mobil", "Mobilnummer", "Telefon", "Tlf.", "Mobile", "Phone"],
    "note": ["Note", "Noter", "Bemærkning", "Kommentar", "Comment"],
    "booked_by": ["Booket af", "Mødebooker", "Telefonist", "Booked by"],
    "booked_at": ["Booket den", "Bookingdato", "Booket", "Oprettet", "Booked at", "Booked on"],
    "status": ["Status", "Bookingstatus", "Booking status"],
}
#: The Danish column names messages use when the file lacks the column.
FIELD_LABELS: dict[str, str] = {
    "cvr": "CVR",
    "p_number": "P-nr.",
    "consultant": "Konsulent",
    "start": "Start",
    "date": "Dato",
    "time": "Tid",
    "duration": "Varighed",
    "end": "Slut",
    "contact_person": "Kontaktperson",
    "email": "E-mail",
    "mobile": "Mobil",
    "note": "Note",
    "booked_by": "Booket af",
    "booked_at": "Booket den",
    "status": "Status",
}

#: A row outside clearing or the target group (the jobcenter removed the company, or it
#: is outside the campaign's target group): phoner's own booking would refuse it.
NOT_BOOKABLE = "ikke_bookbar"
#: The rules counted in ``outside_rules`` (code -> Danish label), in report order.
RULE_LABELS: dict[str, str] = {
    Rule.HORIZON.value: "uden for bookinghorisonten",
    Rule.NOTICE.value: "for kort varsel",
    Rule.HOLIDAY.value: "på en helligdag",
    Rule.WORKING_DAY.value: "på en af konsulentens fridage",
    Rule.WORKING_HOURS.value: "uden for konsulentens arbejdstid",
    Rule.QUARTER.value: "ikke på et helt kvarter",
    Rule.MAX_PER_DAY.value: "flere besøg på dagen end konsulentens maksimum",
    Rule.OVERLAP.value: "for kort transporttid til et andet besøg",
    Rule.JOBCENTER.value: "konsulent fra et andet jobcenter end virksomhedens",
    Rule.INACTIVE.value: "konsulenten er ikke aktiv",
    NOT_BOOKABLE: "virksomheden er fjernet i clearingen eller uden for målgruppen",
}

_BOOKED_WORDS = {"", "booket", "booked", "bekraeftet", "bekræftet", "aftalt", "confirmed", "ok"}
_CANCELLED_WORDS = {"aflyst", "annulleret", "cancelled", "canceled", "slettet", "afbooket"}
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%y", "%d.%m.%y")
_CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
_KL = re.compile(r"(?i)\s*\bkl\.?\s*")
_START_HINT = "Skriv dansk tid som ÅÅÅÅ-MM-DD TT:MM, fx 2027-03-24 09:00"


@dataclass(frozen=True)
class BookingImportProgress:
    """Where a running import is: rows of the file handled so far."""

    rows_done: int
    rows_total: int


@dataclass(kw_only=True)
class BookingImportSummary(ImportResult):
    """What a booking import did (the ``--json`` summary: :meth:`to_json`)."""

    imported: int = 0
    unchanged: int = 0
    cancelled: int = 0
    #: rule code -> rows of the file (in phoner after the import) that break it
    outside_rules: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULE_LABELS, 0))
    #: rows that break at least one rule
    outside_rules_rows: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            **self.common_json(),
            "imported": self.imported,
            "unchanged": self.unchanged,
            "cancelled": self.cancelled,
            "outside_rules": dict(self.outside_rules),
            "outside_rules_rows": self.outside_rules_rows,
        }


# --------------------------------------------------------------------------- cells


def parse_clock(text: str) -> dt.time:
    """``"9:00"``, ``"09.30"``, ``"kl. 14:05:00"`` -> a time; ValueError otherwise."""
    m = _CLOCK.match(_KL.sub("", text).strip())
    if m is None:
        raise ValueError(text)
    return dt.time(int(m[1]), int(m[2]), int(m[3] or 0))


def parse_day(text: str) -> dt.date:
    """A Danish-written or ISO date; ValueError otherwise."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date)
        except ValueError:
            continue
    raise ValueError(text)


def parse_moment(text: str, *, need_time: bool = True) -> dt.datetime:
    """A Danish-time cell (``2027-03-24 09:00``, ``24-03-2027 kl. 9.00``, an Excel
    datetime cell read as ``2027-03-24 09:00``, ISO with an offset) as aware UTC.

    A date alone is midnight when ``need_time`` is False, else a ValueError; so is
    anything unreadable.
    """
    text = " ".join(_KL.sub(" ", text).split())
    if not text:
        raise ValueError(text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        day_text, _, clock_text = text.partition(" ")
        if not clock_text and "T" in day_text:
            day_text, _, clock_text = day_text.partition("T")
        day = parse_day(day_text)
        if not clock_text:
            if need_time:
                raise ValueError(text) from None
            clock = dt.time(0)
        else:
            clock = parse_clock(clock_text)
        parsed = dt.datetime.combine(day, clock)
    else:
        if need_time and len(text) <= 10:  # "2027-03-24": a date without a time
            raise ValueError(text)
    if parsed.tzinfo is None:
        parsed = localize(parsed)
    return parsed.astimezone(dt.UTC)


def parse_minutes(text: str) -> int:
    """``"60"``, ``"60 min"``, ``"1:30"``, ``"1,5 t"`` -> minutes; ValueError otherwise."""
    t = text.strip().lower().replace(",", ".")
    t = re.sub(r"\s*(minutter|minut|min\.?|m)$", "", t)
    hours = re.match(r"^(\d+(?:\.\d+)?)\s*(timer|time|t|h)$", t)
    if hours:
        minutes = float(hours[1]) * 60
    elif ":" in t:
        h, _, m = t.partition(":")
        if not (h.isdigit() and m.isdigit() and len(m) == 2):
            raise ValueError(text)
        minutes = int(h) * 60 + int(m)
    else:
        minutes = float(t)
    if not float(minutes).is_integer():
        raise ValueError(text)
    return int(minutes)


def parse_status(text: str) -> BookingStatus | None:
    """``booket``/``aflyst`` (and English) -> the status; None if unknown."""
    key = text.strip().lower()
    if key in _BOOKED_WORDS:
        return BookingStatus.BOOKED
    if key in _CANCELLED_WORDS:
        return BookingStatus.CANCELLED
    return None


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True, slots=True)
class _Company:
    id: int
    name: str
    jobcenter_id: int | None
    bookable: bool
    contact_person: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class _Consultant:
    id: int
    name: str
    jobcenter_id: int
    working_days: frozenset[int]
    work_start: dt.time
    work_end: dt.time
    max_per_day: int
    buffer: dt.timedelta
    visit: dt.timedelta
    active: bool


@dataclass(slots=True)
class _Item:
    """A checked row of the file."""

    row: Row
    company: _Company
    consultant: _Consultant
    start: dt.datetime
    end: dt.datetime
    status: BookingStatus
    contact_person: str | None
    contact_email: str | None
    contact_mobile: str | None
    note: str | None
    booked_by: str
    booked_at: dt.datetime | None
    existing: int | None = None  # the matching booking's id
    action: str = "new"  # "new", "unchanged", "cancel"
    blocked_end: dt.datetime | None = None
    #: existing bookings whose blocked time is cut back to this visit's start
    clip: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Visit:
    """A booked visit in a consultant's calendar: in phoner, or a row of the file."""

    start: dt.datetime
    end: dt.datetime
    booking_id: int | None
    line: int | None
    blocked_end: dt.datetime | None = None


@dataclass
class _Plan:
    campaign: Campaign
    items: list[_Item]
    #: the largest booking id and the moment of the snapshot the plan was checked against
    max_id: int
    snapshot_at: dt.datetime


class _Checker:
    """Turns rows into items, or Danish reasons (one instance per import)."""

    def __init__(
        self,
        session: Session,
        campaign: Campaign,
        hmap: HeaderMap,
        actor: str,
        now: dt.datetime,
    ) -> None:
        assert campaign.id is not None
        self.hmap = hmap
        self.campaign = campaign
        self.actor = actor
        self.now = now
        self.by_cvr: dict[str, list[_Company]] = defaultdict(list)
        self.by_pnr: dict[str, list[_Company]] = defaultdict(list)
        jc_by_municipality = {
            m: i
            for i, m in session.exec(select(Jobcenter.id, Jobcenter.municipality)).all()
            if m and i is not None
        }
        for c in session.execute(
            sa.select(
                col(Company.id),
                col(Company.name),
                col(Company.cvr),
                col(Company.p_number),
                col(Company.jobcenter_id),
                col(Company.municipality),
                col(Company.clearing_state),
                col(Company.out_of_target),
                col(Company.contact_person),
                col(Company.email),
            )
            .where(col(Company.campaign_id) == campaign.id)
            .order_by(col(Company.id))
        ).all():
            cid, name, cvr, pnr, jc, municipality, clearing, out_of_target, person, email = c
            assert cid is not None
            company = _Company(
                id=cid,
                name=name,
                jobcenter_id=jc if jc is not None else jc_by_municipality.get(municipality or ""),
                bookable=clearing != ClearingState.REMOVE and out_of_target is None,
                contact_person=person,
                email=email,
            )
            if cvr:
                self.by_cvr[cvr].append(company)
            if pnr:
                self.by_pnr[pnr].append(company)
        self.by_email: dict[str, _Consultant] = {}
        self.by_name: dict[str, list[_Consultant]] = defaultdict(list)
        self.emails: dict[int, str] = {}
        for k in session.exec(select(Consultant)).all():
            assert k.id is not None
            plan = _Consultant(
                id=k.id,
                name=k.name,
                jobcenter_id=k.jobcenter_id,
                working_days=frozenset(int(d) for d in k.working_days),
                work_start=k.work_start,
                work_end=k.work_end,
                max_per_day=k.max_visits_per_day,
                buffer=dt.timedelta(minutes=k.travel_buffer_minutes),
                visit=dt.timedelta(minutes=k.visit_minutes),
                active=k.active,
            )
            self.by_email[k.email.strip().lower()] = plan
            self.by_name[_name_key(k.name)].append(plan)
            self.emails[k.id] = k.email

    def column(self, name: str) -> str:
        return self.hmap.header_of(name) or FIELD_LABELS[name]

    def cell(self, row: Row, name: str) -> str:
        return row.get(self.hmap.index(name)).strip()

    def check(self, row: Row) -> _Item | str:
        """The checked row, or the Danish reason it is refused."""
        company = self._company(row)
        if isinstance(company, str):
            return company
        consultant = self._consultant(row)
        if isinstance(consultant, str):
            return consultant
        times = self._times(row, consultant)
        if isinstance(times, str):
            return times
        start, end = times
        raw_status = self.cell(row, "status")
        status = parse_status(raw_status)
        if status is None:
            return (
                f"kolonnen {self.column('status')!r}: {raw_status!r} er ikke en status. "
                "Skriv booket eller aflyst (tom betyder booket)."
            )
        contact = self._contact(row)
        if isinstance(contact, str):
            return contact
        email, mobile = contact
        raw_booked_at = self.cell(row, "booked_at")
        booked_at: dt.datetime | None = None
        if raw_booked_at:
            try:
                booked_at = parse_moment(raw_booked_at, need_time=False)
            except ValueError:
                return (
                    f"kolonnen {self.column('booked_at')!r}: {raw_booked_at!r} er ikke en dato. "
                    "Skriv fx 2027-03-01 eller 2027-03-01 14:30, eller lad feltet stå tomt."
                )
            if booked_at > self.now + dt.timedelta(minutes=5):
                return (
                    f"kolonnen {self.column('booked_at')!r}: {raw_booked_at!r} ligger i "
                    "fremtiden. Skriv den dag, besøget blev booket."
                )
        return _Item(
            row=row,
            company=company,
            consultant=consultant,
            start=start,
            end=end,
            status=status,
            contact_person=(self.cell(row, "contact_person") or company.contact_person or None),
            contact_email=email or company.email,
            contact_mobile=mobile,
            note=self.cell(row, "note") or None,
            booked_by=(self.cell(row, "booked_by") or self.actor or DEFAULT_BOOKED_BY)[:120],
            booked_at=booked_at,
        )

    def _company(self, row: Row) -> _Company | str:
        raw_cvr, raw_pnr = self.cell(row, "cvr"), self.cell(row, "p_number")
        name = self.campaign.name
        pnr = "".join(ch for ch in raw_pnr if ch.isdigit()) if raw_pnr else ""
        if raw_pnr and len(pnr) != 10:
            return (
                f"kolonnen {self.column('p_number')!r}: {raw_pnr!r} er ikke et P-nummer "
                "(10 cifre). Ret det, eller lad feltet stå tomt og skriv CVR-nummeret."
            )
        by_pnr = self.by_pnr.get(pnr, []) if pnr else []
        if raw_cvr:
            cvr = normalize_cvr(raw_cvr)
            if not cvr or len(cvr) != 8 or not cvr_is_valid(cvr):
                return f"kolonnen {self.column('cvr')!r}: {invalid_cvr_reason(raw_cvr)}. Ret det."
            found = self.by_cvr.get(cvr, [])
            if not found:
                return (
                    f"CVR {cvr} står ikke på kampagnens liste ({name}). Importér "
                    "virksomheden på listen først, eller ret CVR-nummeret."
                )
            if pnr:
                found = [c for c in found if c in by_pnr]
                if not found:
                    return f"P-nr. {pnr} hører ikke til CVR {cvr} på kampagnens liste ({name})."
            if len(found) > 1:
                return (
                    f"CVR {cvr} står {len(found)} gange på kampagnens liste (fx filialer). "
                    f"Skriv P-nummeret i kolonnen {self.column('p_number')!r}."
                )
            return found[0]
        if pnr:
            if not by_pnr:
                return f"P-nr. {pnr} står ikke på kampagnens liste ({name}). Ret P-nummeret."
            return by_pnr[0]
        return (
            f"kolonnen {self.column('cvr')!r} er tom. Skriv virksomhedens CVR-nummer "
            "(eller P-nummer)."
        )

    def _consultant(self, row: Row) -> _Consultant | str:
        raw = self.cell(row, "consultant")
        column = self.column("consultant")
        if not raw:
            return f"kolonnen {column!r} er tom. Skriv konsulentens e-mail eller navn."
        found = self.by_email.get(raw.lower())
        if found is not None:
            return found
        named = self.by_name.get(_name_key(raw), [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            emails = ", ".join(sorted(self.emails[k.id] for k in named))
            return (
                f"kolonnen {column!r}: der er {len(named)} konsulenter, der hedder {raw!r} "
                f"({emails}). Skriv konsulentens e-mail i stedet."
            )
        return (
            f"kolonnen {column!r}: konsulenten {raw!r} findes ikke i phoner. Opret "
            "konsulenten (eller importér konsulentarket) først, eller ret navnet/e-mailen."
        )

    def _times(self, row: Row, k: _Consultant) -> tuple[dt.datetime, dt.datetime] | str:
        raw_start = self.cell(row, "start")
        if raw_start:
            try:
                start = parse_moment(raw_start, need_time=not self.hmap.has("time"))
            except ValueError:
                return (
                    f"kolonnen {self.column('start')!r}: {raw_start!r} er ikke et "
                    f"tidspunkt. {_START_HINT}."
                )
            raw_time = self.cell(row, "time")
            if raw_time and to_local(start).time() == dt.time(0):
                # "Start" holds the date only (an Excel date cell), "Tid" the time
                try:
                    clock = parse_clock(raw_time)
                except ValueError:
                    return (
                        f"kolonnen {self.column('time')!r}: {raw_time!r} er ikke et klokkeslæt. "
                        "Skriv fx 09:00."
                    )
                start = _combine(local_date(start), clock)
            elif to_local(start).time() == dt.time(0) and self.hmap.has("time"):
                return f"kolonnen {self.column('time')!r} er tom. Skriv klokkeslættet, fx 09:00."
        else:
            raw_date, raw_time = self.cell(row, "date"), self.cell(row, "time")
            if not raw_date:
                if self.hmap.has("date"):
                    return (
                        f"kolonnen {self.column('date')!r} er tom. Skriv besøgets dato, "
                        "fx 2027-03-24."
                    )
                return f"kolonnen {self.column('start')!r} er tom. {_START_HINT}."
            try:
                day = local_date(parse_moment(raw_date, need_time=False))
            except ValueError:
                return (
                    f"kolonnen {self.column('date')!r}: {raw_date!r} er ikke en dato. "
                    "Skriv fx 2027-03-24 eller 24-03-2027."
                )
            if not raw_time:
                return f"kolonnen {self.column('time')!r} er tom. Skriv klokkeslættet, fx 09:00."
            try:
                clock = parse_clock(raw_time)
            except ValueError:
                return (
                    f"kolonnen {self.column('time')!r}: {raw_time!r} er ikke et klokkeslæt. "
                    "Skriv fx 09:00."
                )
            start = _combine(day, clock)
        raw_duration, raw_end = self.cell(row, "duration"), self.cell(row, "end")
        if raw_duration:
            try:
                minutes = parse_minutes(raw_duration)
            except ValueError:
                minutes = -1
            if not 1 <= minutes <= MAX_MINUTES:
                return (
                    f"kolonnen {self.column('duration')!r}: {raw_duration!r} er ikke en "
                    f"varighed. Skriv antal minutter (1-{MAX_MINUTES}), fx 60."
                )
            end = start + dt.timedelta(minutes=minutes)
        elif raw_end:
            try:
                if _CLOCK.match(_KL.sub("", raw_end).strip()):
                    end = _combine(local_date(start), parse_clock(raw_end))
                else:
                    end = parse_moment(raw_end)
            except ValueError:
                return (
                    f"kolonnen {self.column('end')!r}: {raw_end!r} er ikke et tidspunkt. "
                    "Skriv fx 10:00 eller 2027-03-24 10:00."
                )
            if end <= start:
                return (
                    f"kolonnen {self.column('end')!r}: slut {format_local(end)} er ikke efter "
                    f"start {format_local(start)}. Ret slut- eller starttidspunktet."
                )
            if end - start > dt.timedelta(minutes=MAX_MINUTES):
                return (
                    f"kolonnen {self.column('end')!r}: besøget varer mere end "
                    f"{MAX_MINUTES // 60} timer. Ret slut- eller starttidspunktet."
                )
        else:
            end = start + k.visit
        return start, end

    def _contact(self, row: Row) -> tuple[str | None, str | None] | str:
        email = self.cell(row, "email") or None
        if email and not email_is_valid(email):
            return (
                f"kolonnen {self.column('email')!r}: {email!r} er ikke en e-mailadresse. "
                "Skriv den som navn@firma.dk, eller lad feltet stå tomt."
            )
        raw_mobile = self.cell(row, "mobile")
        mobile = None
        if raw_mobile:
            mobile = parse_phone(raw_mobile)
            if mobile is None:
                return (
                    f"kolonnen {self.column('mobile')!r}: {raw_mobile!r} er ikke et "
                    "telefonnummer. Skriv fx 20 12 34 56, eller lad feltet stå tomt."
                )
        return email, mobile


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _combine(day: dt.date, clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=TZ).astimezone(dt.UTC)


def _plan(
    db: Database,
    path: Path,
    campaign_name: str,
    actor: str,
    now: dt.datetime,
    summary: BookingImportSummary,
) -> tuple[_Plan, list[str]]:
    """Read and check the file against the database as it is (one read transaction)."""
    with db.session() as session:
        campaign = get_campaign(session=session, name=campaign_name)
        assert campaign.id is not None
        table = read_table(path)
        hmap = map_headers(table.headers, FIELD_ALIASES, ignore=REJECT_META_HEADERS)
        _require_columns(path, table.headers, hmap)
        checker = _Checker(session, campaign, hmap, actor, now)
        items = [item for _row, item in importing.rows(table, checker.check, summary)]
        max_id = session.exec(select(sa.func.max(Booking.id))).one() or 0
        existing = _existing(session, campaign.id, items)
        calendars = _calendars(session, items)
        live = _live_bookings(session, campaign.id, items, now)
    _decide(items, existing, calendars, live, now, summary)
    _blocked_times(items, calendars)
    _count_rules(items, calendars, campaign, now, summary)
    return _Plan(campaign, items, int(max_id), now), list(table.headers)


def _require_columns(path: Path, headers: list[str], hmap: HeaderMap) -> None:
    missing: list[str] = []
    if not (hmap.has("cvr") or hmap.has("p_number")):
        missing.append("CVR (eller P-nr.)")
    if not hmap.has("consultant"):
        missing.append("Konsulent")
    if not (hmap.has("start") or hmap.has("date")):
        missing.append("Start (eller Dato og Tid)")
    elif not hmap.has("start") and not hmap.has("time"):
        missing.append("Tid")
    if missing:
        raise InvalidInput(
            f"{path}: filen mangler kolonnen {' og '.join(missing)}.",
            hint="Filen skal have kolonnerne CVR, Konsulent og Start (ÅÅÅÅ-MM-DD TT:MM, "
            "dansk tid; eller Dato og Tid), og gerne Varighed eller Slut, Kontaktperson, "
            "E-mail, Mobil, Note, Booket af, Booket den og Status. Kolonnerne i filen er: "
            + ", ".join(repr(h) for h in headers)
            + ".",
        )


def _chunks(values: list[int], size: int = 900) -> Iterable[list[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _existing(
    session: Session, campaign_id: int, items: list[_Item]
) -> dict[tuple[int, int, dt.datetime], tuple[int, BookingStatus]]:
    """The campaign's bookings of the file's companies, by (company, consultant, start)."""
    ids = sorted({i.company.id for i in items})
    out: dict[tuple[int, int, dt.datetime], tuple[int, BookingStatus]] = {}
    for chunk in _chunks(ids):
        for bid, company_id, consultant_id, start, status in session.execute(
            sa.select(
                col(Booking.id),
                col(Booking.company_id),
                col(Booking.consultant_id),
                col(Booking.start),
                col(Booking.status),
            ).where(col(Booking.campaign_id) == campaign_id, col(Booking.company_id).in_(chunk))
        ).all():
            assert bid is not None
            key = (company_id, consultant_id, start)
            if key not in out or status == BookingStatus.BOOKED:
                out[key] = (bid, status)
    return out


def _calendars(session: Session, items: list[_Item]) -> dict[int, list[_Visit]]:
    """The booked visits (every campaign) of the file's consultants around its times."""
    out: dict[int, list[_Visit]] = defaultdict(list)
    if not items:
        return out
    low = min(i.start for i in items) - dt.timedelta(days=1)
    high = max(i.end for i in items) + dt.timedelta(days=1)
    ids = sorted({i.consultant.id for i in items})
    for chunk in _chunks(ids):
        for bid, kid, start, end, blocked in session.execute(
            sa.select(
                col(Booking.id),
                col(Booking.consultant_id),
                col(Booking.start),
                col(Booking.end),
                col(Booking.blocked_end),
            ).where(
                col(Booking.consultant_id).in_(chunk),
                col(Booking.status) == BookingStatus.BOOKED,
                col(Booking.start) < high,
                col(Booking.end) > low,
            )
        ).all():
            out[kid].append(_Visit(start, end, bid, None, blocked))
    return out


def _live_bookings(
    session: Session, campaign_id: int, items: list[_Item], now: dt.datetime
) -> dict[int, list[tuple[int, dt.datetime]]]:
    """Company -> its booked visits in the campaign that are not over: (id, start)."""
    ids = sorted({i.company.id for i in items})
    out: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for chunk in _chunks(ids):
        for bid, company_id, start in session.exec(
            select(Booking.id, Booking.company_id, Booking.start).where(
                Booking.campaign_id == campaign_id,
                col(Booking.company_id).in_(chunk),
                Booking.status == BookingStatus.BOOKED,
                col(Booking.end) > now,
            )
        ).all():
            assert bid is not None
            out[company_id].append((bid, start))
    return out


def _decide(
    items: list[_Item],
    existing: dict[tuple[int, int, dt.datetime], tuple[int, BookingStatus]],
    calendars: dict[int, list[_Visit]],
    live: dict[int, list[tuple[int, dt.datetime]]],
    now: dt.datetime,
    summary: BookingImportSummary,
) -> None:
    """Match, clash and live checks in file order; keeps the accepted rows in ``items``
    and puts the ones that will be booked into the calendars."""
    seen: dict[tuple[int, int, dt.datetime], int] = {}
    kept: list[_Item] = []
    # First the matches: a row that cancels a booking frees its time for the rest.
    cancelled: set[int] = set()
    for item in items:
        key = (item.company.id, item.consultant.id, item.start)
        if key in seen:
            summary.reject(
                item.row,
                f"samme besøg (virksomhed, konsulent og start) står allerede på linje "
                f"{seen[key]}. Slet den ene række.",
            )
            continue
        seen[key] = item.row.line
        match = existing.get(key)
        if match is not None:
            item.existing, status = match
            if status == BookingStatus.BOOKED and item.status == BookingStatus.CANCELLED:
                item.action = "cancel"
                cancelled.add(match[0])
            else:
                item.action = "unchanged"  # also a visit cancelled in phoner since: it stays
        kept.append(item)
    for visits in calendars.values():
        visits[:] = sorted(
            (v for v in visits if v.booking_id not in cancelled), key=lambda v: v.start
        )
    for company_id in list(live):
        live[company_id] = [(b, s) for b, s in live[company_id] if b not in cancelled]
    file_live: dict[int, int] = {}
    accepted: list[_Item] = []
    for item in kept:
        if item.action != "new" or item.status != BookingStatus.BOOKED:
            accepted.append(item)
            continue
        visits = calendars[item.consultant.id]
        clash = _overlapping(visits, item.start, item.end)
        if clash is not None:
            where = (
                f"besøg nr. {clash.booking_id} i phoner"
                if clash.booking_id is not None
                else f"linje {clash.line}"
            )
            summary.reject(
                item.row,
                f"{item.consultant.name} har allerede et besøg {format_local(clash.start)}–"
                f"{to_local(clash.end).strftime('%H.%M')} ({where}), som overlapper. "
                "Ret tidspunktet eller konsulenten.",
            )
            continue
        if item.end > now:
            other = live.get(item.company.id)
            if other:
                bid, start = other[0]
                summary.reject(
                    item.row,
                    f"{item.company.name} har allerede et booket besøg {format_local(start)} "
                    f"(nr. {bid}) i phoner. Aflys eller flyt det dér, eller slet rækken.",
                )
                continue
            if item.company.id in file_live:
                summary.reject(
                    item.row,
                    f"{item.company.name} har allerede et booket besøg på linje "
                    f"{file_live[item.company.id]}; en virksomhed kan kun have ét kommende "
                    "besøg. Skriv aflyst i Status på det ene, eller slet rækken.",
                )
                continue
            file_live[item.company.id] = item.row.line
        bisect.insort(
            visits, _Visit(item.start, item.end, None, item.row.line), key=lambda v: v.start
        )
        accepted.append(item)
    items[:] = accepted


def _overlapping(visits: list[_Visit], start: dt.datetime, end: dt.datetime) -> _Visit | None:
    """A visit in the (sorted) calendar whose own time overlaps [start, end)."""
    i = bisect.bisect_left(visits, end, key=lambda v: v.start)
    for v in reversed(visits[max(0, i - 50) : i]):  # the visits that start before ``end``
        if v.end > start:
            return v
    return None


def _blocked_times(items: list[_Item], calendars: dict[int, list[_Visit]]) -> None:
    """Each new visit blocks its time plus the travel buffer, up to the next visit; an
    existing visit whose blocked time reaches into a new one is cut back to its start."""
    new_at: dict[tuple[int, int], _Item] = {
        (i.consultant.id, i.row.line): i
        for i in items
        if i.action == "new" and i.status == BookingStatus.BOOKED
    }
    for kid, visits in calendars.items():
        for n, v in enumerate(visits):
            nxt = visits[n + 1].start if n + 1 < len(visits) else None
            if v.line is not None:
                item = new_at[(kid, v.line)]
                blocked = v.end + item.consultant.buffer
                item.blocked_end = min(blocked, nxt) if nxt is not None else blocked
            elif (
                v.booking_id is not None
                and nxt is not None
                and (next_line := visits[n + 1].line) is not None
                and (v.blocked_end or v.end) > nxt
            ):
                new_at[(kid, next_line)].clip.append(v.booking_id)


def _count_rules(
    items: list[_Item],
    calendars: dict[int, list[_Visit]],
    campaign: Campaign,
    now: dt.datetime,
    summary: BookingImportSummary,
) -> None:
    """Count the booked rows that break each near-date rule (see the module docstring).

    Notice and horizon are measured from ``Booket den`` when the row has it, else from
    now for a visit still to come (a past visit without it is not measured).
    """
    per_day: dict[tuple[int, dt.date], list[dt.datetime]] = defaultdict(list)
    for kid, visits in calendars.items():
        for v in visits:
            per_day[(kid, local_date(v.start))].append(v.start)
    counts = summary.outside_rules
    for item in items:
        if item.status != BookingStatus.BOOKED or item.action == "cancel":
            continue
        k = item.consultant
        local = to_local(item.start)
        day = local.date()
        broken: list[str] = []
        since = item.booked_at or (now if item.start > now else None)
        if since is not None:
            booked_day = local_date(since)
            if day < add_working_days(booked_day, campaign.min_notice_days):
                broken.append(Rule.NOTICE.value)
            if day > booked_day + dt.timedelta(days=campaign.horizon_days):
                broken.append(Rule.HORIZON.value)
        if holiday_name(day) is not None:
            broken.append(Rule.HOLIDAY.value)
        if day.weekday() not in k.working_days:
            broken.append(Rule.WORKING_DAY.value)
        local_end = to_local(item.end)
        if local.time() < k.work_start or local_end.date() != day or local_end.time() > k.work_end:
            broken.append(Rule.WORKING_HOURS.value)
        if local.minute % 15 or local.second:
            broken.append(Rule.QUARTER.value)
        starts = sorted(per_day.get((k.id, day), []))
        if item.start in starts and starts.index(item.start) >= k.max_per_day:
            broken.append(Rule.MAX_PER_DAY.value)
        if _too_close(calendars.get(k.id, []), item, k.buffer):
            broken.append(Rule.OVERLAP.value)
        if not campaign.any_jobcenter and k.jobcenter_id != item.company.jobcenter_id:
            broken.append(Rule.JOBCENTER.value)
        if not k.active:
            broken.append(Rule.INACTIVE.value)
        if not item.company.bookable:
            broken.append(NOT_BOOKABLE)
        for rule in broken:
            counts[rule] += 1
        if broken:
            summary.outside_rules_rows += 1


def _too_close(visits: list[_Visit], item: _Item, buffer: dt.timedelta) -> bool:
    """Another visit of the consultant starts or ends within the travel buffer."""
    if not buffer:
        return False
    i = bisect.bisect_left(visits, item.end + buffer, key=lambda v: v.start)
    for v in visits[max(0, i - 50) : i]:
        if v.start == item.start and v.end == item.end:
            continue  # the row itself
        if v.start < item.end + buffer and item.start - buffer < v.end:
            return True
    return False


# --------------------------------------------------------------------------- write


def import_bookings(
    *,
    db: Database,
    path: Path,
    campaign_name: str,
    actor: str,
    rejects_path: Path | None = None,
    now: dt.datetime | None = None,
    batch_rows: int | None = None,
    progress: Callable[[BookingImportProgress], None] | None = None,
) -> BookingImportSummary:
    """Import the bookings in ``path`` into the campaign (see the module docstring).

    ``actor`` is who imports (the audit trail, and ``booked_by`` of rows without
    ``Booket af``); ``progress`` is called after every batch.
    """
    moment = now or utcnow()
    summary = BookingImportSummary()
    plan, headers = _plan(db, path, campaign_name, actor, moment, summary)
    report = progress or (lambda _p: None)
    work = [i for i in plan.items if i.action != "unchanged"]
    summary.unchanged = len(plan.items) - len(work)
    size = max(1, batch_rows or BATCH_ROWS)
    pause = SQLITE_PAUSE_SECONDS if db.is_sqlite else 0.0
    mine: set[int] = set()
    total = summary.read
    report(BookingImportProgress(0, total))
    for n in range(0, len(work), size):
        if n:
            time.sleep(pause)
        batch = work[n : n + size]
        _write_batch(db, plan, batch, mine, actor, moment, summary)
        done = batch[-1].row.line
        report(BookingImportProgress(min(total, _rows_before(plan, done)), total))
    report(BookingImportProgress(total, total))
    importing.write_rejects(summary, source=path, headers=headers, target=rejects_path)
    return summary


def _rows_before(plan: _Plan, line: int) -> int:
    return sum(1 for i in plan.items if i.row.line <= line)


def _write_batch(
    db: Database,
    plan: _Plan,
    batch: list[_Item],
    mine: set[int],
    actor: str,
    now: dt.datetime,
    summary: BookingImportSummary,
) -> None:
    """One batch in one write transaction; if the database refuses it (a phoner booked
    the same time or company in that instant), again row by row."""
    try:
        with db.session(write=True) as session:
            _begin(session, actor)
            good = _recheck(session, plan, batch, mine, summary)
            ids = _write(session, plan, good, actor, now)
            guarded_flush(session)
        _count(good, summary)
        mine.update(ids)
        return
    except BookingTaken:
        pass
    # the first attempt's rejects came from the rolled-back check: check again
    lines = {i.row.line for i in batch}
    summary.rejects[:] = [r for r in summary.rejects if r.line not in lines or r.line <= 0]
    with db.session(write=True) as session:
        _begin(session, actor)
        good = _recheck(session, plan, batch, mine, summary)
        written: list[_Item] = []
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
    _count(written, summary)


def _begin(session: Session, actor: str) -> None:
    session.info[NO_INVITATIONS] = True
    audit.set_actor(session, actor)


def _count(items: list[_Item], summary: BookingImportSummary) -> None:
    for item in items:
        if item.action == "cancel":
            summary.cancelled += 1
        else:
            summary.imported += 1


def _recheck(
    session: Session,
    plan: _Plan,
    batch: list[_Item],
    mine: set[int],
    summary: BookingImportSummary,
) -> list[_Item]:
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
    good: list[_Item] = []
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
    session: Session, plan: _Plan, items: list[_Item], actor: str, now: dt.datetime
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
    for chunk in _chunks(sorted(clips)):
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
        _close_call_followups(session, campaign_id, booked, actor, now)
    return ids


def _insert(
    session: Session, campaign_id: int, new: list[_Item], actor: str, now: dt.datetime
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
    try:
        # executemany without RETURNING: SQLite's driver runs it in one C loop (RETURNING
        # made SQLAlchemy send one statement per row); the ids come back by their UIDs
        session.execute(sa.insert(Booking), values)
    except IntegrityError as exc:
        if is_guard_violation(exc):
            raise BookingTaken() from exc
        raise
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
    session.execute(
        sa.insert(AuditLog),
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
    for chunk in _chunks(company_ids):
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
    campaign_id: int,
    bookings: list[tuple[int, int, dt.datetime]],
    actor: str,
    now: dt.datetime,
) -> None:
    """A booked visit answers the company's open "call the company" follow-ups
    (``bookings``: company id, booking id, start)."""
    first: dict[int, tuple[int, dt.datetime]] = {}
    for company_id, bid, start in sorted(bookings, key=lambda b: b[2]):
        first.setdefault(company_id, (bid, start))
    for chunk in _chunks(sorted(first)):
        for fu in session.exec(
            select(FollowUp).where(
                col(FollowUp.company_id).in_(chunk),
                FollowUp.kind == FollowUpKind.CALL_COMPANY,
                col(FollowUp.done_at).is_(None),
            )
        ).all():
            bid, start = first[fu.company_id]
            fu.done_at = now
            fu.done_by = actor
            fu.note = f"Besøg booket {format_local(start)} (nr. {bid}, importeret)."
            session.add(fu)
            audit.record(
                session,
                actor=actor,
                action="close",
                entity="followup",
                entity_id=fu.id,
                campaign_id=campaign_id,
                reason="besøg booket (import)",
            )

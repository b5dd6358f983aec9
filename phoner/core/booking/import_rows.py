"""The rows of a booking import: its columns, its cell parsers, and the check that turns
a row of the file into a visit to book or the Danish reason it is refused.

Pure per row (no writes): :class:`Checker` reads the campaign's companies and every
consultant once, then checks each row against them; see
:mod:`phoner.core.booking.importing` for what the import does with the rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core.clock import TZ, local_date, localize, to_local
from phoner.core.companies import invalid_cvr_reason
from phoner.core.consultants import email_is_valid
from phoner.core.digits import ascii_digits, is_ascii_number
from phoner.core.display import format_local
from phoner.core.errors import InvalidInput
from phoner.core.lists.records import parse_p_number
from phoner.core.models import (
    BookingStatus,
    Campaign,
    ClearingState,
    Company,
    Consultant,
    Jobcenter,
)
from phoner.core.phones import cvr_is_valid, normalize_cvr, parse_phone
from phoner.formats.tabular import HeaderMap, Row

#: Longest visit a row may state (a typo guard: 12 hours).
MAX_MINUTES = 12 * 60
#: The years a date cell may name: outside them it is a typo (year 1 or 9999 would
#: also overflow the arithmetic on times near the ends of Python's calendar).
YEARS = range(1900, 2200)
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

_BOOKED_WORDS = {"", "booket", "booked", "bekraeftet", "bekræftet", "aftalt", "confirmed", "ok"}
_CANCELLED_WORDS = {"aflyst", "annulleret", "cancelled", "canceled", "slettet", "afbooket"}
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DANISH_DAY = re.compile(r"^(\d{1,2})([-./])(\d{1,2})\2(\d{4}|\d{2})$")
_CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
_KL = re.compile(r"(?i)\s*\bkl\.?\s*")
_START_HINT = "Skriv dansk tid som ÅÅÅÅ-MM-DD TT:MM, fx 2027-03-24 09:00"


# --------------------------------------------------------------------------- cells


def parse_clock(text: str) -> dt.time:
    """``"9:00"``, ``"09.30"``, ``"kl. 14:05:00"`` -> a time; ValueError otherwise."""
    m = _CLOCK.match(_KL.sub("", ascii_digits(text)).strip())
    if m is None:
        raise ValueError(text)
    return dt.time(int(m[1]), int(m[2]), int(m[3] or 0))


def parse_day(text: str) -> dt.date:
    """An ISO date (``2027-03-24``) or a Danish one (``24-03-2027``, ``24.03.27``,
    ``24/3/2027``); ValueError otherwise (also for a day that does not exist)."""
    text = ascii_digits(text).strip()
    iso = _ISO_DAY.match(text)
    if iso:
        return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
    danish = _DANISH_DAY.match(text)
    if danish is None:
        raise ValueError(text)
    year = int(danish[4]) + (2000 if len(danish[4]) == 2 else 0)
    return dt.date(year, int(danish[3]), int(danish[1]))


def parse_moment(text: str, *, need_time: bool = True) -> dt.datetime:
    """A Danish-time cell (``2027-03-24 09:00``, ``24-03-2027 kl. 9.00``, an Excel
    datetime cell read as ``2027-03-24 09:00``, ISO with an offset) as aware UTC.

    A date alone is midnight when ``need_time`` is False, else a ValueError; so is
    anything unreadable, and a year outside :data:`YEARS`.
    """
    text = " ".join(_KL.sub(" ", ascii_digits(text)).split())
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
    if parsed.year not in YEARS:
        raise ValueError(text)
    if parsed.tzinfo is None:
        parsed = localize(parsed)
    return parsed.astimezone(dt.UTC)


def parse_minutes(text: str) -> int:
    """``"60"``, ``"60 min"``, ``"1:30"``, ``"1,5 t"`` -> minutes; ValueError otherwise."""
    t = ascii_digits(text).strip().lower().replace(",", ".")
    t = re.sub(r"\s*(minutter|minut|min\.?|m)$", "", t)
    hours = re.match(r"^(\d+(?:\.\d+)?)\s*(timer|time|t|h)$", t)
    if hours:
        minutes = float(hours[1]) * 60
    elif ":" in t:
        h, _, m = t.partition(":")
        if not (is_ascii_number(h) and is_ascii_number(m) and len(m) == 2):
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


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class CompanyRef:
    id: int
    name: str
    jobcenter_id: int | None
    bookable: bool
    contact_person: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class ConsultantRef:
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
class Item:
    """A checked row of the file."""

    row: Row
    company: CompanyRef
    consultant: ConsultantRef
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


class Checker:
    """Turns rows into items, or Danish reasons (one instance per import)."""

    def __init__(
        self,
        session: Session,
        campaign: Campaign,
        hmap: HeaderMap,
        booked_by: str,
        now: dt.datetime,
    ) -> None:
        assert campaign.id is not None
        self.hmap = hmap
        self.campaign = campaign
        self.booked_by = booked_by
        self.now = now
        self.by_cvr: dict[str, list[CompanyRef]] = defaultdict(list)
        self.by_pnr: dict[str, list[CompanyRef]] = defaultdict(list)
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
                col(Company.blocked_id),
                col(Company.contact_person),
                col(Company.email),
            )
            .where(col(Company.campaign_id) == campaign.id)
            .order_by(col(Company.id))
        ).all():
            (
                cid,
                name,
                cvr,
                pnr,
                jc,
                municipality,
                clearing,
                out_of_target,
                blocked,
                person,
                email,
            ) = c
            assert cid is not None
            company = CompanyRef(
                id=cid,
                name=name,
                jobcenter_id=jc if jc is not None else jc_by_municipality.get(municipality or ""),
                bookable=clearing != ClearingState.REMOVE
                and out_of_target is None
                and blocked is None,
                contact_person=person,
                email=email,
            )
            if cvr:
                self.by_cvr[cvr].append(company)
            if pnr:
                self.by_pnr[pnr].append(company)
        self.by_email: dict[str, ConsultantRef] = {}
        self.by_name: dict[str, list[ConsultantRef]] = defaultdict(list)
        self.emails: dict[int, str] = {}
        for k in session.exec(select(Consultant)).all():
            assert k.id is not None
            plan = ConsultantRef(
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

    def check(self, row: Row) -> Item | str:
        """The checked row, or the Danish reason it is refused (every bad cell of the
        row at once, so one round of fixing does)."""
        company = self._company(row)
        consultant = self._consultant(row)
        times = self._times(row, None if isinstance(consultant, str) else consultant)
        status = self._status(row)
        contact = self._contact(row)
        booked_at = self._booked_at(row)
        lengths = self._lengths(row)
        problems = [  # type(), not isinstance(): a BookingStatus is a str too
            p
            for p in (company, consultant, times, status, contact, booked_at, lengths)
            if type(p) is str
        ]
        if problems:
            return " ".join(problems)
        assert not isinstance(company, str) and not isinstance(consultant, str)
        assert not isinstance(times, str) and isinstance(status, BookingStatus)
        assert not isinstance(contact, str) and not isinstance(booked_at, str)
        start, end = times
        email, mobile = contact
        return Item(
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
            booked_by=self.cell(row, "booked_by") or self.booked_by or DEFAULT_BOOKED_BY,
            booked_at=booked_at,
        )

    def _status(self, row: Row) -> BookingStatus | str:
        raw_status = self.cell(row, "status")
        status = parse_status(raw_status)
        if status is None:
            return (
                f"kolonnen {self.column('status')!r}: {raw_status!r} er ikke en status. "
                "Skriv booket eller aflyst (tom betyder booket)."
            )
        return status

    def _booked_at(self, row: Row) -> dt.datetime | str | None:
        raw_booked_at = self.cell(row, "booked_at")
        if not raw_booked_at:
            return None
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
        return booked_at

    def _company(self, row: Row) -> CompanyRef | str:
        raw_cvr, raw_pnr = self.cell(row, "cvr"), self.cell(row, "p_number")
        name = self.campaign.name
        pnr = (parse_p_number(raw_pnr) or "") if raw_pnr else ""
        if raw_pnr and (len(pnr) != 10 or not is_ascii_number(pnr)):
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

    def _consultant(self, row: Row) -> ConsultantRef | str:
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

    def _times(self, row: Row, k: ConsultantRef | None) -> tuple[dt.datetime, dt.datetime] | str:
        """Start and end; without Varighed/Slut the consultant's visit length (``k`` is
        None when the consultant is unknown: the row is refused, its times still checked)."""
        raw_start = self.cell(row, "start")
        if raw_start:
            try:
                start = parse_moment(raw_start, need_time=not self.hmap.has("time"))
            except ValueError:
                if _is_date(raw_start):
                    return (
                        f"kolonnen {self.column('start')!r}: {raw_start!r} har intet "
                        f"klokkeslæt. {_START_HINT}, eller skriv klokkeslættet i en kolonne Tid."
                    )
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
                if _CLOCK.match(_KL.sub("", ascii_digits(raw_end)).strip()):
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
            end = start + (k.visit if k is not None else dt.timedelta(hours=1))
        return start, end

    def _lengths(self, row: Row) -> str | None:
        """The reason a cell is longer than its booking column, or None (refused, never
        cut)."""
        for name, width in (("contact_person", 200), ("email", 200), ("booked_by", 120)):
            if len(value := self.cell(row, name)) > width:
                return (
                    f"kolonnen {self.column(name)!r}: {len(value)} tegn er for langt "
                    f"(højst {width}). Ret det, eller slet rækken."
                )
        return None

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


def _is_date(text: str) -> bool:
    try:
        parse_moment(text, need_time=False)
    except ValueError:
        return False
    return True


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _combine(day: dt.date, clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=TZ).astimezone(dt.UTC)


def chunks(values: list[int], size: int = 900) -> Iterable[list[int]]:
    """``values`` in pieces small enough for an ``IN (...)`` list on every database."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def require_columns(path: Path, headers: list[str], hmap: HeaderMap) -> None:
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

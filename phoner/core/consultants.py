"""Consultants (virksomhedskonsulenter): find, list, import, feed tokens, absence.

A consultant's own absence calendar (an .ics file or URL) is read as free/busy only:
phoner never shows or stores what the consultant is doing, only when they are busy.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from phoner.core import absence_sources, audit, importing, vocabulary
from phoner.core.absence_sources import AbsencePolicy, AbsenceUnavailable
from phoner.core.clock import TZ
from phoner.core.display import format_time
from phoner.core.errors import ConsultantNotFound, InvalidInput, NotFound
from phoner.core.importing import ImportResult, write_rejects
from phoner.core.jobcenters import find_jobcenter, reading_notice, unit_notice
from phoner.core.models import Consultant, Delivery, Jobcenter, JobcenterKind, utcnow
from phoner.formats.ics import CalendarUnreadable, read_busy

#: secrets.token_urlsafe(32) = 256 random bits, 43 URL-safe characters.
TOKEN_BYTES = 32
ABSENCE_CACHE_SECONDS = 300
ABSENCE_TIMEOUT_SECONDS = absence_sources.TIMEOUT_SECONDS
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def new_feed_token() -> str:
    """An unguessable feed token (256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def email_is_valid(email: str) -> bool:
    return bool(_EMAIL.match(email.strip()))


# --------------------------------------------------------------------------- lookup


def get_consultant(*, session: Session, key: str | int) -> Consultant:
    """A consultant by id, e-mail or (unique) name."""
    if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit()):
        found = session.get(Consultant, int(key))
        if found is not None:
            return found
    text = str(key).strip()
    by_email = session.exec(select(Consultant).where(col(Consultant.email) == text.lower())).first()
    if by_email is not None:
        return by_email
    by_name = session.exec(select(Consultant).where(Consultant.name == text)).all()
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise InvalidInput(
            f"Der er flere konsulenter med navnet {text!r}.",
            hint="Angiv konsulentens e-mail i stedet.",
        )
    loose = session.exec(select(Consultant).where(col(Consultant.name).ilike(f"%{text}%"))).all()
    if len(loose) == 1:
        return loose[0]
    raise ConsultantNotFound(f"Konsulenten {text!r} findes ikke.")


@dataclass(frozen=True)
class ConsultantRow:
    consultant: Consultant
    jobcenter: str


def list_consultants(*, session: Session, include_inactive: bool = True) -> list[ConsultantRow]:
    query = select(Consultant, Jobcenter.name).join(
        Jobcenter, col(Jobcenter.id) == col(Consultant.jobcenter_id)
    )
    if not include_inactive:
        query = query.where(col(Consultant.active).is_(True))
    rows = session.exec(query.order_by(col(Jobcenter.name), col(Consultant.name))).all()
    return [ConsultantRow(c, jc) for c, jc in rows]


def rotate_token(*, session: Session, consultant: Consultant, actor: str) -> str:
    """Give the consultant a new feed token and page secret; the old feed URL and every
    old link to the consultant's web pages stop working at once."""
    consultant.feed_token = new_feed_token()
    consultant.page_secret = new_feed_token()  # the visit pages' links die with the feed's
    consultant.feed_token_rotated_at = utcnow()
    session.add(consultant)
    audit.record(
        session,
        actor=actor,
        action="rotate_feed_token",
        entity="consultant",
        entity_id=consultant.id,
    )
    return consultant.feed_token


# --------------------------------------------------------------------------- delivery

#: accepted words for a consultant's delivery setting (import column, CLI option)
DELIVERY_WORDS: dict[str, Delivery] = {
    "invitation": Delivery.INVITATION,
    "invitationer": Delivery.INVITATION,
    "invitations": Delivery.INVITATION,
    "e-mail": Delivery.INVITATION,
    "mail": Delivery.INVITATION,
    "feed": Delivery.FEED,
    "abonnement": Delivery.FEED,
    "kalenderabonnement": Delivery.FEED,
    "kalenderfeed": Delivery.FEED,
    "subscription": Delivery.FEED,
    "both": Delivery.BOTH,
    "begge": Delivery.BOTH,
    "begge dele": Delivery.BOTH,
}
DELIVERY_LABELS = {
    Delivery.INVITATION: "invitation",
    Delivery.FEED: "feed",
    Delivery.BOTH: "begge",
}


def parse_delivery(text: str) -> Delivery:
    """``invitation``/``feed``/``both`` or a Danish word for them; ValueError if neither."""
    key = " ".join(text.strip().lower().split())
    if key in DELIVERY_WORDS:
        return DELIVERY_WORDS[key]
    raise ValueError(text)


def wants_invitations(consultant: Consultant) -> bool:
    """True when the consultant's visits should arrive as e-mail invitations (iMIP)."""
    return Delivery(consultant.delivery) in (Delivery.INVITATION, Delivery.BOTH)


def wants_feed(consultant: Consultant) -> bool:
    """True when the consultant is meant to subscribe to the feed as a calendar of its own."""
    return Delivery(consultant.delivery) in (Delivery.FEED, Delivery.BOTH)


def set_delivery(
    *, session: Session, consultant: Consultant, delivery: Delivery, actor: str
) -> bool:
    """Change how the consultant's visits reach their calendar; False if unchanged."""
    old = Delivery(consultant.delivery)
    if old == delivery:
        return False
    consultant.delivery = delivery
    session.add(consultant)
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="consultant",
        entity_id=consultant.id,
        old={"delivery": old.value},
        new={"delivery": delivery.value},
    )
    return True


# --------------------------------------------------------------------------- absence

#: Where a source may point and how much is read: phoner.core.absence_sources.
check_absence_source = absence_sources.check_source


@dataclass
class _CacheEntry:
    fetched: float
    stamp: Any
    data: bytes


@dataclass
class AbsenceCache:
    """Raw absence calendars, cached (URLs for a few minutes, files until they change).

    Every read checks the source against the policy first (a cached entry of a source
    that is no longer allowed is not served)."""

    ttl: float = ABSENCE_CACHE_SECONDS
    _entries: dict[str, _CacheEntry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, source: str, policy: AbsencePolicy | None = None) -> bytes:
        policy = policy or absence_sources.current_policy()
        now = time.monotonic()
        url = absence_sources.is_url(source)
        stamp: Any = None
        if url:
            absence_sources.check_url(source, policy)
        else:
            stamp = absence_sources.file_stamp(source, policy)
        key = f"{policy.root}\0{source}"
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (
                (url and now - entry.fetched < self.ttl) or (not url and entry.stamp == stamp)
            ):
                return entry.data
        if url:
            data = _fetch(source, policy)
        else:
            data, stamp = absence_sources.read_file(source, policy)
        with self._lock:
            self._entries[key] = _CacheEntry(now, stamp, data)
        return data

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


ABSENCE_CACHE = AbsenceCache()


def _fetch(url: str, policy: AbsencePolicy | None = None) -> bytes:
    return absence_sources.fetch(url, policy or absence_sources.current_policy())


def load_absence(
    source: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    cache: AbsenceCache | None = None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Busy intervals from a consultant's absence calendar; AbsenceUnavailable if unreadable
    or not allowed. The message never quotes the content."""
    data = (cache or ABSENCE_CACHE).read(source)
    try:
        return read_busy(data, start=start, end=end, tz=TZ)
    except CalendarUnreadable:
        raise AbsenceUnavailable(f"{_shown(source)} er ikke en gyldig kalenderfil") from None


def _shown(source: str) -> str:
    """The source without its query (a calendar URL's query often holds a secret key)."""
    return source.split("?", 1)[0] if absence_sources.is_url(source) else source


def load_absences(
    consultants: Sequence[Consultant], *, start: dt.datetime, end: dt.datetime
) -> tuple[dict[int, list[tuple[dt.datetime, dt.datetime]]], dict[int, str]]:
    """Busy intervals per consultant id, and the reason per consultant whose calendar could
    not be read (those consultants are treated as unavailable: booking them could clash)."""
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    broken: dict[int, str] = {}
    for c in consultants:
        if not c.absence_source or c.id is None:
            continue
        try:
            busy[c.id] = load_absence(c.absence_source, start=start, end=end)
        except AbsenceUnavailable as exc:
            broken[c.id] = str(exc)
    return busy, broken


# --------------------------------------------------------------------------- import

CONSULTANT_ALIASES: dict[str, list[str]] = {
    "name": ["Navn", "Konsulent", "Konsulentnavn", "Fulde navn", "Name", "Full name"],
    "email": ["E-mail", "Email", "Mail", "E-mailadresse", "E-post", "Email address"],
    "jobcenter": ["Jobcenter", "Kommune", "Municipality", "Job centre", "Job center"],
    "working_days": ["Arbejdsdage", "Dage", "Ugedage", "Working days", "Workdays", "Days"],
    "hours": ["Arbejdstid", "Tid", "Working hours", "Hours"],
    "work_start": ["Arbejdstid start", "Start", "Mødetid", "Fra", "Work start", "From"],
    "work_end": ["Arbejdstid slut", "Slut", "Fri", "Til", "Work end", "To"],
    "max_visits_per_day": [
        "Maks besøg pr. dag",
        "Max besøg pr dag",
        "Besøg pr. dag",
        "Maks besøg",
        "Max visits per day",
        "Max visits",
    ],
    "travel_buffer_minutes": [
        "Transporttid",
        "Transporttid (min)",
        "Transporttid minutter",
        "Buffer",
        "Travel buffer",
        "Travel buffer minutes",
    ],
    "visit_minutes": [
        "Besøgslængde",
        "Besøgslængde (min)",
        "Varighed",
        "Varighed (min)",
        "Visit length",
        "Visit minutes",
    ],
    "absence_source": [
        "Fraværskalender",
        "Fravær",
        "Fraværs-kalender",
        "Absence",
        "Absence calendar",
        "Absence feed",
    ],
    "active": ["Aktiv", "Active"],
    "delivery": [
        "Levering",
        "Kalenderlevering",
        "Invitationer",
        "Kalender via",
        "Delivery",
        "Calendar delivery",
    ],
}
REQUIRED = ("name", "email", "jobcenter")
_DAY_NAMES = {
    "man": 0, "mandag": 0, "mon": 0, "monday": 0,
    "tir": 1, "tirsdag": 1, "tue": 1, "tuesday": 1,
    "ons": 2, "onsdag": 2, "wed": 2, "wednesday": 2,
    "tor": 3, "torsdag": 3, "thu": 3, "thursday": 3,
    "fre": 4, "fredag": 4, "fri": 4, "friday": 4,
    "lør": 5, "lørdag": 5, "sat": 5, "saturday": 5,
    "søn": 6, "søndag": 6, "sun": 6, "sunday": 6,
}  # fmt: skip
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")


def parse_days(text: str) -> list[int]:
    """``"man-fre"``, ``"man, tir, tor"``, ``"Mon-Thu"`` or ``"1-5"`` -> [0, 1, ...]."""
    days: set[int] = set()
    for part in re.split(r"[,;/ ]+(?:og\s+)?", text.strip().lower()):
        if not part or part == "og":
            continue
        ends = [p.strip().rstrip(".") for p in re.split(r"\s*[-–]\s*", part)]
        if len(ends) > 2:
            raise ValueError(text)
        nums = []
        for e in ends:
            if e.isdigit() and 1 <= int(e) <= 7:
                nums.append(int(e) - 1)
            elif e in _DAY_NAMES:
                nums.append(_DAY_NAMES[e])
            else:
                raise ValueError(text)
        lo, hi = nums[0], nums[-1]
        if hi < lo:
            raise ValueError(text)
        days.update(range(lo, hi + 1))
    if not days:
        raise ValueError(text)
    return sorted(days)


def parse_time(text: str) -> dt.time:
    m = _TIME.match(text.strip().replace(" ", ""))
    if not m or int(m.group(1)) > 23 or int(m.group(2) or 0) > 59:
        raise ValueError(text)
    return dt.time(int(m.group(1)), int(m.group(2) or 0))


@dataclass(kw_only=True)
class ConsultantImport(ImportResult):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    headers: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    jobcenters_created: list[str] = field(default_factory=list)
    #: Units created that are not municipalities, and the notice to show for each.
    units_created: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _row_values(row: Any, hm: Any, where: str) -> dict[str, Any]:
    """Parse one row into Consultant fields; ValueError with a Danish reason if bad."""

    def cell(name: str) -> str:
        return str(row.get(hm.index(name))).strip()

    def column(name: str) -> str:
        return hm.header_of(name) or name

    values: dict[str, Any] = {}
    name = cell("name")
    email = cell("email").lower()
    jobcenter = cell("jobcenter")
    if not name:
        raise ValueError(f"{where}: kolonnen {column('name')!r} er tom; skriv konsulentens navn.")
    if not email_is_valid(email):
        raise ValueError(
            f"{where}: kolonnen {column('email')!r}: {email or '(tom)'} er ikke en e-mailadresse."
        )
    if not jobcenter:
        raise ValueError(f"{where}: kolonnen {column('jobcenter')!r} er tom; skriv kommunen.")
    for key, text, limit in (("name", name, 120), ("email", email, 200)):
        if len(text) > limit:  # the database column's size
            raise ValueError(f"{where}: kolonnen {column(key)!r} er for lang (højst {limit} tegn).")
    values.update(name=name, email=email, jobcenter=jobcenter)
    if hm.has("working_days") and cell("working_days"):
        try:
            values["working_days"] = parse_days(cell("working_days"))
        except ValueError:
            raise ValueError(
                f"{where}: kolonnen {column('working_days')!r}: {cell('working_days')!r} "
                "forstås ikke; skriv fx man-fre eller man, tir, tor."
            ) from None
    start_text = cell("work_start") if hm.has("work_start") else ""
    end_text = cell("work_end") if hm.has("work_end") else ""
    if hm.has("hours") and cell("hours"):
        parts = re.split(r"\s*[-–]\s*", cell("hours"))
        if len(parts) != 2:
            raise ValueError(
                f"{where}: kolonnen {column('hours')!r}: {cell('hours')!r} forstås ikke; "
                "skriv fx 08:30-15:30."
            )
        start_text, end_text = parts
    for key, text in (("work_start", start_text), ("work_end", end_text)):
        if text:
            try:
                values[key] = parse_time(text)
            except ValueError:
                raise ValueError(
                    f"{where}: {text!r} er ikke et klokkeslæt; skriv fx 08:30."
                ) from None
    for key, lo, hi in (
        ("max_visits_per_day", 1, 20),
        ("travel_buffer_minutes", 0, 240),
        ("visit_minutes", 15, 480),
    ):
        text = cell(key) if hm.has(key) else ""
        if not text:
            continue
        digits = re.sub(r"\s*(min\.?|minutter|minutes)$", "", text.lower())
        if (
            not (digits.isascii() and digits.isdigit())
            or len(digits) > 4
            or not lo <= int(digits) <= hi
        ):
            raise ValueError(
                f"{where}: kolonnen {column(key)!r}: {text!r} skal være et helt tal "
                f"fra {lo} til {hi}."
            )
        values[key] = int(digits)
    if hm.has("absence_source"):
        if len(cell("absence_source")) > 500:
            raise ValueError(
                f"{where}: kolonnen {column('absence_source')!r} er for lang (højst 500 tegn)."
            )
        values["absence_source"] = cell("absence_source") or None
        if values["absence_source"]:
            try:
                check_absence_source(values["absence_source"])
            except AbsenceUnavailable as exc:
                raise ValueError(
                    f"{where}: kolonnen {column('absence_source')!r}: {exc}."
                ) from None
    if hm.has("active") and cell("active"):
        try:
            values["active"] = vocabulary.parse_yes_no(cell("active"))
        except ValueError:
            raise ValueError(
                f"{where}: kolonnen {column('active')!r}: {cell('active')!r}; skriv ja eller nej."
            ) from None
    if hm.has("delivery") and cell("delivery"):
        try:
            values["delivery"] = parse_delivery(cell("delivery"))
        except ValueError:
            raise ValueError(
                f"{where}: kolonnen {column('delivery')!r}: {cell('delivery')!r} forstås ikke; "
                "skriv invitation, feed eller begge."
            ) from None
    start = values.get("work_start", dt.time(8, 30))
    end = values.get("work_end", dt.time(15, 30))
    if end <= start:
        raise ValueError(f"{where}: arbejdstiden slutter ({format_time(end)}) før den starter.")
    return values


def import_consultants(
    *,
    session: Session,
    path: Path,
    actor: str = "cli",
    overrides: dict[str, str] | None = None,
    rejects_path: Path | None = None,
    write_rejects_file: bool = True,
) -> ConsultantImport:
    """Create or update consultants from a CSV/XLSX file (e-mail is the key).

    Columns the file does not have keep their current value (or the default for new
    consultants); bad rows are rejected with line and reason, the rest go in, and the
    rejected rows are written to ``rejects_path`` (default ``NAME.afviste.csv``).
    """
    from phoner.formats import tabular

    table = tabular.read_table(path)
    hm = tabular.map_headers(
        table.headers, CONSULTANT_ALIASES, overrides, ignore=tabular.REJECT_META_HEADERS
    )
    missing = hm.missing(REQUIRED)
    if missing:
        names = {"name": "Navn", "email": "E-mail", "jobcenter": "Jobcenter"}
        raise InvalidInput(
            f"{path}: mangler kolonnen/kolonnerne "
            + ", ".join(repr(names[m]) for m in missing)
            + ".",
            hint="Filen skal mindst have kolonnerne Navn, E-mail og Jobcenter (linje 1). "
            "Kolonnerne i filen er: " + ", ".join(repr(h) for h in table.headers) + ".",
        )
    result = ConsultantImport(
        headers=list(table.headers),
        unknown_columns=[table.headers[i] for i in hm.unknown],
    )
    importing.start(table, result)
    seen: dict[str, int] = {}
    for row in table.rows:
        where = f"{path.name} linje {row.line}"
        try:
            values = _row_values(row, hm, where)
        except ValueError as exc:
            result.reject(row, str(exc).split(": ", 1)[-1])
            continue
        if values["email"] in seen:
            result.reject(
                row, f"e-mailen {values['email']} står også på linje {seen[values['email']]}."
            )
            continue
        seen[values["email"]] = row.line
        try:
            before = {jc.id for jc in session.exec(select(Jobcenter)).all()}
            text = values.pop("jobcenter")
            jc = find_jobcenter(session=session, text=text, allow_unit=True)
        except NotFound as exc:
            result.reject(row, exc.message)
            continue
        if (misread := reading_notice(text, jc)) is not None:
            result.notices.append(f"{path.name} linje {row.line}: {misread}")
        if jc.id not in before:
            result.jobcenters_created.append(jc.name)
            if jc.kind == JobcenterKind.UNIT:
                result.units_created.append(jc.name)
                result.notices.append(f"{path.name} linje {row.line}: {unit_notice(jc.name)}")
        values["jobcenter_id"] = jc.id
        existing = session.exec(
            select(Consultant).where(Consultant.email == values["email"])
        ).first()
        if existing is None:
            consultant = Consultant(feed_token=new_feed_token(), **values)
            session.add(consultant)
            session.flush()
            result.created += 1
            audit.record(
                session,
                actor=actor,
                action="import",
                entity="consultant",
                entity_id=consultant.id,
                new={k: _jsonable(v) for k, v in values.items()},
            )
            continue
        old = {k: _jsonable(getattr(existing, k)) for k in values}
        new = {k: _jsonable(v) for k, v in values.items()}
        if old == new:
            result.unchanged += 1
            continue
        for key, value in values.items():
            setattr(existing, key, value)
        session.add(existing)
        result.updated += 1
        audit.record(
            session,
            actor=actor,
            action="update",
            entity="consultant",
            entity_id=existing.id,
            old={k: v for k, v in old.items() if new[k] != v},
            new={k: v for k, v in new.items() if old[k] != v},
        )
    if write_rejects_file:
        write_rejects(result, source=path, headers=table.headers, target=rejects_path)
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Delivery):
        return value.value
    return value

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
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from phoner.core import audit, geography
from phoner.core.errors import InvalidInput, NotFound
from phoner.core.models import Consultant, Jobcenter, utcnow
from phoner.formats.ics import CalendarUnreadable, read_busy

#: secrets.token_urlsafe(32) = 256 random bits, 43 URL-safe characters.
TOKEN_BYTES = 32
ABSENCE_CACHE_SECONDS = 300
ABSENCE_TIMEOUT_SECONDS = 5.0
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
    raise NotFound(
        f"Konsulenten {text!r} findes ikke.",
        hint="Se konsulenterne med: phoner consultants list",
    )


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
    """Give the consultant a new feed token; the old URL stops working at once."""
    consultant.feed_token = new_feed_token()
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


def ensure_jobcenter(*, session: Session, name_or_municipality: str) -> Jobcenter:
    """The jobcenter for a municipality (``"Køge"`` or ``"Jobcenter Køge"``), created from
    the municipality list if it is not in the database yet."""
    text = name_or_municipality.strip()
    bare = re.sub(r"^jobcenter\s+", "", text, flags=re.IGNORECASE).strip()
    for candidate in (text, f"Jobcenter {bare}"):
        jc = session.exec(select(Jobcenter).where(Jobcenter.name == candidate)).first()
        if jc is not None:
            return jc
    jc = session.exec(select(Jobcenter).where(Jobcenter.municipality == bare)).first()
    if jc is not None:
        return jc
    municipality = geography.municipality_name(bare)
    if municipality is None:
        raise InvalidInput(
            f"Jobcentret {text!r} kendes ikke (ingen kommune med det navn).",
            hint="Skriv kommunens navn, fx 'Køge' eller 'Jobcenter Køge'.",
        )
    jc = session.exec(select(Jobcenter).where(Jobcenter.municipality == municipality)).first()
    if jc is not None:
        return jc
    jc = Jobcenter(
        name=f"Jobcenter {municipality}",
        municipality=municipality,
        municipality_code=geography.municipality_code(municipality),
        rar_area=geography.rar_area(municipality),
    )
    session.add(jc)
    session.flush()
    return jc


# --------------------------------------------------------------------------- absence


class AbsenceUnavailable(Exception):
    """The absence calendar cannot be read; the message is Danish."""


@dataclass
class _CacheEntry:
    fetched: float
    stamp: Any
    data: bytes


@dataclass
class AbsenceCache:
    """Raw absence calendars, cached (URLs for a few minutes, files until they change)."""

    ttl: float = ABSENCE_CACHE_SECONDS
    _entries: dict[str, _CacheEntry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, source: str) -> bytes:
        now = time.monotonic()
        is_url = source.startswith(("http://", "https://", "webcal://"))
        stamp: Any = None
        if not is_url:
            path = Path(source).expanduser()
            try:
                st = path.stat()
            except OSError as exc:
                raise AbsenceUnavailable(f"filen {source} findes ikke") from exc
            stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            entry = self._entries.get(source)
            if entry is not None and (
                (is_url and now - entry.fetched < self.ttl) or (not is_url and entry.stamp == stamp)
            ):
                return entry.data
        data = _fetch(source) if is_url else Path(source).expanduser().read_bytes()
        with self._lock:
            self._entries[source] = _CacheEntry(now, stamp, data)
        return data

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


ABSENCE_CACHE = AbsenceCache()


def _fetch(url: str) -> bytes:
    if url.startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    req = urllib.request.Request(url, headers={"User-Agent": "phoner"})
    try:
        with urllib.request.urlopen(req, timeout=ABSENCE_TIMEOUT_SECONDS) as resp:
            data: bytes = resp.read(20_000_000)
            return data
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise AbsenceUnavailable(f"{url} svarer ikke ({exc})") from exc


def load_absence(
    source: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    cache: AbsenceCache | None = None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Busy intervals from a consultant's absence calendar; AbsenceUnavailable if unreadable."""
    data = (cache or ABSENCE_CACHE).read(source)
    try:
        return read_busy(data, start=start, end=end)
    except CalendarUnreadable as exc:
        raise AbsenceUnavailable(f"{source} er ikke en gyldig kalenderfil ({exc})") from exc


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

"""Bookings made elsewhere, for the booking import's tests and bench: a campaign with
companies that have CVR numbers, and the files a phoning contractor hands over."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from phoner.core.db import Database
from phoner.core.models import Company, Consultant
from phoner.core.phones import cvr_check_digit
from phoner.formats.tabular import write_csv
from tests.support.booking import World, make_world

#: The booking world's company (see tests.support.booking.make_world).
WORLD_CVR = "12345674"
HEADERS = ["CVR", "Konsulent", "Start", "Varighed", "Kontaktperson", "E-mail", "Note"]


def cvrs(n: int, first: int = 3_000_000) -> list[str]:
    """``n`` distinct valid CVR numbers (none equal to the world's)."""
    out: list[str] = []
    k = first
    while len(out) < n:
        head = str(k)
        digit = cvr_check_digit(head)
        if digit is not None and head + str(digit) != WORLD_CVR:
            out.append(head + str(digit))
        k += 1
    return out


@dataclass
class ImportWorld:
    """The booking world plus ``companies`` more companies with CVRs (same jobcenter)."""

    world: World
    cvrs: list[str]  # the extra companies' CVRs, in id order
    consultant_emails: list[str]


def import_world(
    db: Database, *, companies: int = 5, consultants: int = 2, **settings: object
) -> ImportWorld:
    w = make_world(db, consultants=consultants, **settings)
    numbers = cvrs(companies)
    with db.session(write=True) as s:
        s.add_all(
            Company(
                campaign_id=w.campaign_id,
                jobcenter_id=w.jobcenter_id,
                name=f"Firma {i + 1} ApS",
                cvr=cvr,
                municipality="Køge",
                email=f"kontakt{i + 1}@firma.dk",
            )
            for i, cvr in enumerate(numbers)
        )
        emails = [s.get(Consultant, k).email for k in w.consultant_ids]  # type: ignore[union-attr]
    return ImportWorld(w, numbers, emails)


def add_consultant(db: Database, w: World, name: str, email: str) -> int:
    """Another consultant of the world's jobcenter (e.g. a namesake)."""
    with db.session(write=True) as s:
        k = Consultant(
            name=name, email=email, jobcenter_id=w.jobcenter_id, feed_token=secrets.token_hex(12)
        )
        s.add(k)
        s.flush()
        assert k.id is not None
        return k.id


def write_bookings(
    path: Path, rows: Sequence[Sequence[object]], headers: Sequence[str] = HEADERS
) -> Path:
    """A ``;``-separated CSV as Danish Excel saves it (phoner's own writer)."""
    return write_csv(path, list(headers), [[str(v) for v in r] for r in rows])


def write_bookings_xlsx(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]]
) -> Path:
    """An .xlsx whose date and time cells are real Excel dates (datetime/date/time)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, dt.time):
                cell.number_format = "hh:mm"
    wb.save(path)
    return path

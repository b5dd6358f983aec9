"""Booking import (``phoner booking import``): 10,000 bookings made elsewhere.

A national campaign's size (the 2015-16 campaign booked 3,966 visits for 273
consultants): 10,000 visits of 273 consultants, half in the past, into SQLite (and
PostgreSQL when ``PHONER_BENCH_POSTGRES_URL`` names a scratch database). The floor is
what no importer can avoid: reading the file (:func:`phoner.formats.tabular.read_table`).
Target (issue 11): under 10 s. A second run of the same file (everything unchanged) is shown too.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
from pathlib import Path

from phoner.core.booking.importing import import_bookings
from phoner.core.clock import local_to_utc, to_local
from phoner.core.db import Database, make_engine
from phoner.core.models import Campaign, Company, Consultant, Jobcenter
from phoner.core.workdays import add_working_days
from phoner.formats.tabular import read_table
from tests.support.bench import Bench, stopwatch
from tests.support.booking_files import cvrs, write_bookings

HEADERS = ["CVR", "Konsulent", "Start", "Varighed", "Kontaktperson", "E-mail", "Booket af"]
NOW = local_to_utc(dt.date(2026, 3, 2), dt.time(12, 0))


def _world(db: Database, n: int, consultants: int) -> tuple[list[str], list[str]]:
    numbers = cvrs(n)
    with db.session(write=True) as s:
        jc = Jobcenter(name="Jobcenter Køge", municipality="Køge")
        campaign = Campaign(name="Landsdækkende", script_path="scripts/x.toml", script_hash="x")
        s.add_all([jc, campaign])
        s.flush()
        assert jc.id is not None and campaign.id is not None
        ks = [
            Consultant(
                name=f"Konsulent {i}",
                email=f"k{i}@jobcenter.dk",
                jobcenter_id=jc.id,
                feed_token=secrets.token_hex(12),
            )
            for i in range(consultants)
        ]
        s.add_all(ks)
        s.add_all(
            Company(
                campaign_id=campaign.id,
                jobcenter_id=jc.id,
                name=f"Firma {i} ApS",
                cvr=cvr,
                municipality="Køge",
            )
            for i, cvr in enumerate(numbers)
        )
    return numbers, [f"k{i}@jobcenter.dk" for i in range(consultants)]


def _rows(numbers: list[str], emails: list[str]) -> list[list[str]]:
    """Three visits a day per consultant over 12 working days, half of them past."""
    first = add_working_days(to_local(NOW).date(), -6)
    out = []
    for i, cvr in enumerate(numbers):
        k = i % len(emails)
        j = i // len(emails)
        day = add_working_days(first, j // 3)
        hour = (9, 11, 13)[j % 3]
        out.append(
            [
                cvr,
                emails[k],
                f"{day} {hour:02d}:00",
                "60",
                f"Kontakt {i}",
                f"k{i}@firma.dk",
                "Bureau",
            ]
        )
    return out


def _run(bench: Bench, db: Database, label: str, path: Path, n: int, floor: float) -> None:
    with stopwatch() as elapsed:
        s = import_bookings(db=db, path=path, campaign_name="Landsdækkende", actor="bench", now=NOW)
    took = elapsed()
    assert s.imported == n and s.rejected == 0, (s.imported, s.rejects[:3])
    bench.figure(
        f"booking import: {label}, {n:,} bookings",
        took,
        "s",
        ratio=took / floor,
        ratio_to="floor",
        target="< 10 s",
    )
    with stopwatch() as elapsed:
        again = import_bookings(
            db=db, path=path, campaign_name="Landsdækkende", actor="bench", now=NOW
        )
    took = elapsed()
    assert again.unchanged == n and again.imported == 0
    bench.figure(
        f"booking import: {label}, same file again (all unchanged)",
        took,
        "s",
        ratio=took / floor,
        ratio_to="floor",
    )


def run(bench: Bench) -> None:
    n = bench.size(10_000, 300)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        db = Database(make_engine(f"sqlite:///{ws / 'bench.db'}"))
        db.upgrade()
        numbers, emails = _world(db, n, 273)
        path = write_bookings(ws / "bookinger.csv", _rows(numbers, emails), HEADERS)
        with stopwatch() as elapsed:
            table = read_table(path)
        floor = elapsed()
        assert len(table.rows) == n
        bench.figure(f"booking import: floor (reading the CSV), {n:,} rows", floor, "s")
        _run(bench, db, "CSV into SQLite", path, n, floor)
        db.dispose()
        pg = os.environ.get("PHONER_BENCH_POSTGRES_URL")
        if pg:
            from tests.support.postgres import reset_postgres

            pdb = reset_postgres(pg)
            try:
                _world(pdb, n, 273)
                _run(bench, pdb, "CSV into PostgreSQL", path, n, floor)
            finally:
                pdb.dispose()

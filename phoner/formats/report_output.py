"""Rendering a report: terminal table text, Markdown, CSV, JSON and Excel.

A :class:`Report` is plain data built by :mod:`phoner.core.reports`: a JSON payload (raw
counts and unrounded fractions, for machines) and one or more :class:`ReportTable` (for
people). Table cells are strings, numbers, :class:`Pct` (a share with its denominator)
or :class:`Num` (a measured value such as a lag in days).

Percentages are shown as whole percent, rounded half up as the evaluations printed them
(12.5 % -> 13 %); a share with a zero denominator is shown as "–". In Excel a percentage is
stored as the exact fraction with a ``0%`` number format, so the sheet shows what the
terminal shows and formulas on it still work. CSV and Excel cells are neutralised against
formula injection (:func:`phoner.formats.tabular.neutralize`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from phoner.formats.private_files import private_file, write_private_text
from phoner.formats.tabular import cell_text, neutralize

FORMATS = ("table", "csv", "json", "xlsx", "md")
DASH = "–"


@dataclass(frozen=True)
class Pct:
    """A share ``num / den`` shown as a whole percent."""

    num: float
    den: float

    @property
    def value(self) -> float | None:
        """The unrounded fraction (None when the denominator is 0)."""
        return None if not self.den else self.num / self.den

    @property
    def whole(self) -> int | None:
        """Whole percent, rounded half up (None when the denominator is 0)."""
        if not self.den:
            return None
        pct = Decimal(repr(self.num)) * 100 / Decimal(repr(self.den))
        return int(pct.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def text(self) -> str:
        whole = self.whole
        return DASH if whole is None else f"{whole} %"


@dataclass(frozen=True)
class Num:
    """A measured value with a fixed number of decimals (None: not measurable)."""

    value: float | None
    decimals: int = 1

    def text(self) -> str:
        if self.value is None:
            return DASH
        q = Decimal(1).scaleb(-self.decimals)
        rounded = Decimal(repr(self.value)).quantize(q, rounding=ROUND_HALF_UP)
        return f"{rounded}".replace(".", ",")


Cell = str | int | float | Pct | Num | None


@dataclass
class ReportTable:
    """One table of a report; the last ``total_rows`` rows are totals."""

    title: str
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)
    total_rows: int = 0
    sheet: str | None = None  # short name for the Excel sheet


@dataclass
class Report:
    """A report: JSON payload for machines, tables for people, notes on denominators."""

    name: str
    title: str
    campaign: str
    data: dict[str, Any]
    tables: list[ReportTable]
    notes: list[str] = field(default_factory=list)


def cell_str(cell: Cell) -> str:
    """A cell as the terminal, Markdown and CSV show it."""
    if isinstance(cell, (Pct, Num)):
        return cell.text()
    if cell is None:
        return DASH
    if isinstance(cell, float):
        return Num(cell).text()
    return str(cell)


def _is_numeric(cell: Cell) -> bool:
    return isinstance(cell, (int, float, Pct, Num)) and not isinstance(cell, bool)


# --------------------------------------------------------------------------- text


def render_text(report: Report) -> str:
    """Aligned plain-text tables for the terminal (no colour, copy-paste friendly)."""
    out: list[str] = [f"{report.title} – {report.campaign}", ""]
    for table in report.tables:
        out.extend(_text_table(table))
        out.append("")
    out.extend(report.notes)
    return "\n".join(out).rstrip() + "\n"


def _text_table(table: ReportTable) -> list[str]:
    texts = [[cell_str(c) for c in row] for row in table.rows]
    widths = [len(h) for h in table.columns]
    for row in texts:
        for j, t in enumerate(row):
            widths[j] = max(widths[j], len(t))
    numeric = [any(_is_numeric(r[j]) for r in table.rows if j < len(r)) for j in range(len(widths))]

    def line(cells: list[str]) -> str:
        parts = [
            c.rjust(widths[j]) if numeric[j] and j > 0 else c.ljust(widths[j])
            for j, c in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [table.title, line(table.columns), rule]
    body = len(texts) - table.total_rows
    for i, row in enumerate(texts):
        if i == body and table.total_rows and body > 0:
            lines.append(rule)
        lines.append(line(row))
    if not texts:
        lines.append("(ingen data)")
    lines.extend(table.notes)
    return lines


# --------------------------------------------------------------------------- markdown


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    out: list[str] = [f"# {_md_escape(report.title)} – {_md_escape(report.campaign)}", ""]
    for table in report.tables:
        out.append(f"## {_md_escape(table.title)}")
        out.append("")
        numeric = [
            any(_is_numeric(r[j]) for r in table.rows if j < len(r))
            for j in range(len(table.columns))
        ]
        out.append("| " + " | ".join(_md_escape(c) for c in table.columns) + " |")
        out.append(
            "|" + "|".join("---:" if n and j > 0 else "---" for j, n in enumerate(numeric)) + "|"
        )
        body = len(table.rows) - table.total_rows
        for i, row in enumerate(table.rows):
            cells = [_md_escape(cell_str(c)) for c in row]
            if i >= body:
                cells = [f"**{c}**" if c else c for c in cells]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        for note in table.notes:
            out.append(f"*{_md_escape(note)}*")
            out.append("")
    for note in report.notes:
        out.append(_md_escape(note))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- json


def render_json(report: Report) -> str:
    return json.dumps(report.data, ensure_ascii=False, indent=2, default=str) + "\n"


# --------------------------------------------------------------------------- csv


def render_csv(report: Report, *, delimiter: str = ";") -> str:
    """CSV text (``;`` for Danish Excel); several tables are separated by an empty line.

    With one table the file is a plain table; with several, each starts with a line
    holding its title. Percentages are whole percent as in the terminal table.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    several = len(report.tables) > 1
    for i, table in enumerate(report.tables):
        if several:
            if i:
                writer.writerow([])
            writer.writerow([neutralize(table.title)])
        writer.writerow([neutralize(h) for h in table.columns])
        for row in table.rows:
            writer.writerow([neutralize(_csv_cell(c)) for c in row])
    return buf.getvalue()


def _csv_cell(cell: Cell) -> str:
    if isinstance(cell, Pct):
        whole = cell.whole
        return "" if whole is None else str(whole)
    if isinstance(cell, Num):
        return "" if cell.value is None else cell.text()
    if cell is None:
        return ""
    return cell_text(cell)


def write_csv(report: Report, path: Path) -> Path:
    """Write the CSV as UTF-8 with BOM (Danish Excel opens it with a double click)."""
    write_private_text(path, render_csv(report), encoding="utf-8-sig")
    return path


def write_text(report: Report, fmt: str, path: Path) -> Path:
    """Write the report in a text format (:func:`render`) to a private file."""
    write_private_text(path, render(report, fmt))
    return path


# --------------------------------------------------------------------------- xlsx

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(text: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (max 31 characters, no []:*?/\\)."""
    base = _BAD_SHEET_CHARS.sub("-", text).strip("' ")[:31] or "Ark"
    name = base
    n = 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def write_xlsx(report: Report, path: Path) -> Path:
    """One sheet per table (header row 1, frozen, filter on), plus a sheet of notes.

    Written in openpyxl's write-only mode (rows streamed to the file, no cell grid kept in
    memory): only header, total and number-formatted cells get a styled cell object, and
    column widths are measured before the first row is written (they precede the rows in
    the file). Text is neutralized, so it never starts like a formula.

    Raises OSError when the file cannot be written (the caller turns it into a message).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in report.tables:
        ws = wb.create_sheet(sheet_name(table.sheet or table.title, used))
        body = len(table.rows) - table.total_rows
        widths = [len(h) for h in table.columns]
        for row in table.rows:
            for j, c in enumerate(row):
                n = len(c) if isinstance(c, str) else len(cell_str(c))
                if n > widths[j]:
                    widths[j] = n
        # sheet view and column widths are written before the first row
        ws.freeze_panes = "A2"
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, w + 2))
        last = get_column_letter(max(1, len(table.columns)))
        ws.auto_filter.ref = f"A1:{last}{max(1, body + 1)}"
        header = []
        for h in table.columns:
            hc = WriteOnlyCell(ws, value=neutralize(h))
            hc.font = bold
            header.append(hc)
        ws.append(header)
        for i, row in enumerate(table.rows):
            total = i >= body
            values: list[Any] = []
            for c in row:
                value, fmt = _xlsx_value(c)
                if fmt is None and not total:
                    values.append(value)
                    continue
                xcell = WriteOnlyCell(ws, value=value)
                if fmt:
                    xcell.number_format = fmt
                if total:
                    xcell.font = bold
                values.append(xcell)
            ws.append(values)
    notes = [f"{report.title} – {report.campaign}"]
    for table in report.tables:
        notes.extend(f"{table.title}: {n}" for n in table.notes)
    notes.extend(report.notes)
    ws = wb.create_sheet(sheet_name("Noter", used))
    ws.column_dimensions["A"].width = 120
    for note in notes:
        ws.append([neutralize(note)])
    wb.save(private_file(path))
    return path


def _xlsx_value(cell: Cell) -> tuple[Any, str | None]:
    if isinstance(cell, Pct):
        return cell.value, "0%"
    if isinstance(cell, Num):
        return cell.value, "0." + "0" * cell.decimals if cell.decimals else "0"
    if isinstance(cell, str):
        return neutralize(cell), None
    return cell, None


def render(report: Report, fmt: str) -> str:
    """The report as text in a text format (``xlsx`` needs :func:`write_xlsx`)."""
    if fmt == "table":
        return render_text(report)
    if fmt == "md":
        return render_markdown(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    raise ValueError(f"unknown text format {fmt!r}")

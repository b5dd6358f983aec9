"""Reading and writing the tables users hand us: CSV and Excel, Danish style.

Every importer in phoner (company lists, consultants, visit results, outcomes) reads its
file through this module, and every spreadsheet phoner hands out is written by it.

Reading
-------
``read_table(path, *, sheet=None) -> Table``

- CSV (``.csv``, ``.txt``, ``.tsv``; anything that is not a spreadsheet): the delimiter
  (``;``, ``,`` or tab) is detected from the header line, the encoding from the bytes
  (UTF-8, UTF-8 with BOM, UTF-16 with BOM as Excel's "Unicode text", else cp1252 /
  latin-1 as older Danish Excel exports are).
- Spreadsheets (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``, and any file that starts like a
  zip, e.g. an Excel file renamed to ``.csv``) are read with python-calamine: the first
  sheet, or ``sheet=`` by name. Cells become clean strings: ``12345678.0`` ->
  ``"12345678"``, ``3.5`` -> ``"3.5"``, dates -> ``"2026-01-31"``, datetimes ->
  ``"2026-01-31 14:05"``, booleans -> ``"Ja"`` / ``"Nej"``.
- The header is the first non-empty line (after a one-cell title or ``sep=;`` line, which
  is skipped when a line with several cells follows). ``Table.rows`` holds every following non-empty
  line as a :class:`Row`: ``row.line`` is the line number in the file as the user sees it
  (header = line 1 in a normal file; the spreadsheet row number for Excel; the first line
  of a record for a CSV record spanning several lines) and ``row.cells`` the cell strings,
  whitespace-trimmed, always exactly ``len(table.headers)`` long (short rows are padded
  with ``""``; surplus non-empty cells of long rows are kept in ``row.surplus``).
- A leading apostrophe that :func:`neutralize` added (``'=SUM(A1)``) is removed again, so
  files phoner wrote read back as they were.
- A file that cannot be read raises :class:`~phoner.core.errors.InvalidInput` with a Danish
  message naming the file and what to do; so does a file with headers and no data rows,
  and a spreadsheet archive that is hostile (a zip bomb, a sheet claiming billions of
  cells: :mod:`phoner.formats.archive_guard`, checked before calamine inflates anything).
- A CSV line the reader cannot hand on as it is (a cell over 32,767 characters, a NUL in a
  cell, an unterminated quote that swallowed the next lines: :mod:`phoner.formats.csv_records`)
  is not in ``Table.rows`` but in ``Table.rejects``, with its line and column; the rest of
  the file is read. Importers start their rejects with ``table.rejects`` and count
  ``table.read`` (rows + reader rejects) as the rows read.

Headers
-------
``map_headers(headers, aliases, overrides=None, ignore=()) -> HeaderMap``

Matches headers to fields by alias, insensitive to case, spaces, punctuation and
æ/ø/å spelling (``"CVR-nr."``, ``"cvr nr"`` and ``"CVRNR"`` are the same;
:func:`normalize_header`). ``overrides`` (``{"Column header": "field"}``, e.g. from
``--map``) win over aliases; the field ``"-"`` ignores a column. The result says which
column holds which field (``HeaderMap.fields``: field -> column index), which columns
matched nothing (``unknown``: keep them as extra data, don't drop them), and which columns
named a field that an earlier column already had (``duplicates``).

Writing
-------
- ``write_csv(path, headers, rows)``: ``;``-separated UTF-8 with BOM, which Danish Excel
  opens correctly with a double click.
- ``write_rejects_csv(path, original_headers, rejects)``: the rejected rows of an import,
  columns ``Linje`` and ``Årsag`` first, then the original columns, so the user can fix
  the file and import it again (importers should pass ``ignore=REJECT_META_HEADERS`` to
  :func:`map_headers` so the two extra columns are not taken as data).
- ``write_xlsx(path, headers, rows, ...)``: bold frozen header, filters on, column widths
  that fit, optional drop-down lists (``dropdowns={"Beslutning": ["Behold", "Fjern"]}``),
  every text cell stored as text.

Both writers defend against CSV/formula injection: a cell a spreadsheet would evaluate
(starting with ``=``, ``@``, tab or carriage return, or ``+``/``-`` followed by anything
that is not a plain number such as ``+45 33 12 34 56``) gets a leading apostrophe
(:func:`neutralize`). In .xlsx text cells are also typed as strings, never formulas.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from phoner.core.errors import InvalidInput, os_reason
from phoner.formats import csv_records
from phoner.formats.archive_guard import check_archive, check_ole
from phoner.formats.private_files import open_private, private_file

__all__ = [
    "REJECT_META_HEADERS",
    "SPREADSHEET_SUFFIXES",
    "HeaderMap",
    "Reject",
    "Row",
    "Table",
    "cell_text",
    "gc_paused",
    "map_headers",
    "neutralize",
    "normalize_header",
    "read_table",
    "write_csv",
    "write_rejects_csv",
    "write_xlsx",
]

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
REJECT_META_HEADERS: tuple[str, str] = ("Linje", "Årsag")
IGNORE_FIELD = "-"
_DELIMITERS = (";", "\t", ",")  # preference order on a tie (Danish exports use ;)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls
_MAX_WIDTH = 60


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Row:
    """One data line: its line number in the file and its cell strings."""

    line: int
    cells: list[str]
    surplus: list[str] = field(default_factory=list)

    def get(self, index: int | None) -> str:
        """The cell at ``index`` ("" for None, e.g. a field the file does not have)."""
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]


@dataclass(frozen=True, slots=True)
class Table:
    """A read file: headers, data rows, and how it was read."""

    path: Path
    headers: list[str]
    rows: list[Row]
    header_line: int = 1
    kind: str = "csv"  # "csv" or "spreadsheet"
    encoding: str | None = None  # CSV only
    delimiter: str | None = None  # CSV only
    sheet: str | None = None  # spreadsheets only
    rejects: list[Reject] = field(default_factory=list)  # rows the reader refused

    @property
    def read(self) -> int:
        """Data rows in the file: the rows handed on plus the rows the reader refused."""
        return len(self.rows) + len(self.rejects)

    def dicts(self) -> list[dict[str, str]]:
        """Rows as ``{header: cell}`` (later duplicate headers win; prefer ``rows``)."""
        return [dict(zip(self.headers, r.cells, strict=True)) for r in self.rows]


class Reject(NamedTuple):
    """A row an importer refused: line number, Danish reason, the original cells."""

    line: int
    reason: str
    cells: Sequence[str]


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Which column holds which field, and which columns were not recognised."""

    headers: list[str]
    fields: dict[str, int]  # field -> column index
    unknown: list[int]  # column indexes that matched no field (keep as extra data)
    duplicates: list[tuple[int, str]]  # (column index, field) already taken by a column
    ignored: list[int]

    def index(self, field_name: str) -> int | None:
        return self.fields.get(field_name)

    def has(self, field_name: str) -> bool:
        return field_name in self.fields

    def missing(self, required: Iterable[str]) -> list[str]:
        return [f for f in required if f not in self.fields]

    def header_of(self, field_name: str) -> str | None:
        i = self.fields.get(field_name)
        return None if i is None else self.headers[i]

    def extra(self, row: Row) -> dict[str, str]:
        """The row's non-empty cells in unknown columns, keyed by header."""
        out: dict[str, str] = {}
        for i in self.unknown:
            value = row.get(i)
            if value:
                out[self.headers[i] or f"Kolonne {i + 1}"] = value
        return out


# --------------------------------------------------------------------------- helpers

_UNFOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_header(text: str) -> str:
    """Comparison key of a header: ``"Tlf.-nr."`` -> ``"tlfnr"``, ``"Ærø"`` -> ``"aeroe"``."""
    s = str(text).strip().lower().translate(_UNFOLD)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", s)


# Only ASCII digits and a plain space: a tab or newline after the sign could hide a formula.
_SAFE_SIGNED = re.compile(r"^[+-][0-9 ().,/-]*$")


def neutralize(value: str) -> str:
    """Make a cell safe to open in a spreadsheet (no formula evaluation)."""
    if not value:
        return value
    first = value[0]
    if first in "=@\t\r" or (first in "+-" and not _SAFE_SIGNED.match(value)):
        return "'" + value
    return value


def _unneutralize(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in "=@+-\t\r":
        return value[1:]
    return value


def cell_text(value: Any) -> str:
    """A spreadsheet cell value as a clean string (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def _clean(value: str) -> str:
    return _unneutralize(value.replace("\xa0", " ").strip())


def _clean_all(record: list[str]) -> list[str]:
    # The common case (no no-break space, no apostrophe) in C; the full clean otherwise.
    joined = "\x00".join(record)
    if "\xa0" in joined or "'" in joined:
        return [_clean(c) for c in record]
    return [c.strip() for c in record]


# --------------------------------------------------------------------------- reading


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Reading (and importing) a big list allocates hundreds of thousands of lists, strings
    and rows that all stay alive; the collector would traverse them again and again (more
    than half the time of reading a 100,000-row CSV). Nothing here makes reference
    cycles, and the collector is re-enabled (if it was on) when the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@gc_paused()
def read_table(path: Path, *, sheet: str | None = None) -> Table:
    """Read a CSV or spreadsheet file into a :class:`Table` (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(
            f"Filen findes ikke: {path}.", hint="Tjek stavemåden og mappen, og prøv igen."
        )
    if path.is_dir():
        raise InvalidInput(
            f"{path} er en mappe, ikke en fil.", hint="Angiv en CSV- eller Excel-fil."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"Filen {path} kan ikke læses ({os_reason(exc)}).",
            hint="Tjek filens rettigheder, og luk den i Excel, hvis den er åben dér.",
        ) from exc
    if not data.strip():
        raise InvalidInput(f"Filen {path} er tom.", hint="Gem listen igen fra Excel og prøv igen.")
    is_sheet = (
        path.suffix.lower() in SPREADSHEET_SUFFIXES
        or data.startswith(_ZIP_MAGIC)
        or data.startswith(_OLE_MAGIC)
    )
    if is_sheet:
        return _read_spreadsheet(path, data, sheet)
    if sheet is not None:
        raise InvalidInput(
            f"{path} er en CSV-fil; den har ingen ark at vælge.",
            hint="Vælg intet ark for CSV-filer.",
            field="sheet",
        )
    return _read_csv(path, data)


def _split_header(lines: list[tuple[int, list[str]]]) -> tuple[int, list[str], list[Row]]:
    """(header line, headers, rows) from the non-empty lines of a file.

    The header is the first non-empty line, unless that line has a single filled cell
    (a title such as "Virksomhedsliste januar 2026", or Excel's "sep=;") and one of the
    next lines has several: then the lines before that one are a preamble and skipped.
    """
    start = 0
    if sum(1 for c in lines[0][1] if c) < 2:
        for k in range(1, min(len(lines), 10)):
            if sum(1 for c in lines[k][1] if c) >= 2:
                start = k
                break
    header_line, headers = lines[start]
    headers = list(headers)
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    return (
        header_line,
        headers,
        [
            Row(line, cells) if len(cells) == width else _fit(line, cells, width)
            for line, cells in lines[start + 1 :]
        ],
    )


def _read_csv(path: Path, data: bytes) -> Table:
    text, encoding = csv_records.decode(data)
    if text.count("\x00") > max(16, len(text) // 100):
        raise InvalidInput(
            f"{path} ligner ikke en tekst- eller Excel-fil.",
            hint="Gem listen som CSV (semikolonsepareret) eller .xlsx og prøv igen.",
        )
    delimiter = csv_records.detect_delimiter(text)
    # No no-break space or apostrophe anywhere in the file: every cell only needs strip().
    plain = "\xa0" not in text and "'" not in text
    lines, problems = csv_records.records(
        text, delimiter, (lambda r: [c.strip() for c in r]) if plain else _clean_all
    )
    if not lines:
        if problems:
            raise _header_problem(path, problems[0], [])
        raise InvalidInput(f"Filen {path} er tom.", hint="Gem listen igen fra Excel og prøv igen.")
    header_line, headers, rows = _split_header(lines)
    return Table(
        path=path,
        headers=headers,
        rows=_no_rows_check(path, header_line, rows, problems),
        header_line=header_line,
        kind="csv",
        encoding=encoding,
        delimiter=delimiter,
        rejects=_rejects(path, header_line, headers, problems),
    )


def _where(headers: list[str], column: int | None) -> str:
    if column is None:
        return ""
    if column < len(headers) and headers[column]:
        return f"kolonnen {headers[column]!r}: "
    return f"kolonne {column + 1}: "


def _header_problem(path: Path, problem: csv_records.Problem, headers: list[str]) -> InvalidInput:
    return InvalidInput(
        f"{path}, linje {problem.line}: {_where(headers, problem.column)}{problem.text}; "
        "linjen med kolonneoverskrifterne kan ikke læses.",
        hint="Ret linjen i Excel eller en teksteditor, gem filen igen og prøv igen.",
    )


def _rejects(
    path: Path, header_line: int, headers: list[str], problems: list[csv_records.Problem]
) -> list[Reject]:
    """Problems on data lines as rejects; a problem before the data refuses the file."""
    out = []
    for p in problems:
        if p.line <= header_line:
            raise _header_problem(path, p, headers)
        out.append(Reject(p.line, _where(headers, p.column) + p.text, p.cells))
    return out


def _no_rows_check(
    path: Path, header_line: int, rows: list[Row], problems: Sequence[object]
) -> list[Row]:
    if not rows and not problems:
        raise InvalidInput(
            f"{path} har kun kolonneoverskrifterne (linje {header_line}) og ingen rækker med data.",
            hint="Tjek at det er den rigtige fil (eller det rigtige ark), og at rækkerne "
            "står under overskrifterne, og prøv igen.",
        )
    return rows


def _fit(line: int, cells: list[str], width: int) -> Row:
    if len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    elif len(cells) > width:
        surplus = [c for c in cells[width:] if c]
        return Row(line, cells[:width], surplus)
    return Row(line, cells)


def _read_spreadsheet(path: Path, data: bytes, sheet: str | None) -> Table:
    import python_calamine as pc  # local: only needed for spreadsheets

    if data.startswith(_ZIP_MAGIC):
        check_archive(path, data)  # before calamine: it aborts on a hostile archive
    elif data.startswith(_OLE_MAGIC):
        check_ole(path, data)
    else:  # every format calamine reads is a zip (xlsx, xlsb, ods) or OLE (xls) file
        raise InvalidInput(
            f"{path} er ikke et regneark: indholdet er hverken Excel (.xlsx, .xls) eller "
            "OpenDocument (.ods), selv om filen hedder sådan.",
            hint="Er det en CSV-fil, så omdøb den til .csv og prøv igen; ellers åbn den i "
            "Excel eller LibreOffice og gem den igen som .xlsx.",
        )
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises many unrelated types for a broken file
        raise InvalidInput(
            f"{path} kan ikke læses som et regneark ({type(exc).__name__}: {exc}).",
            hint="Åbn filen i Excel eller LibreOffice og gem den igen som .xlsx eller CSV.",
        ) from exc
    names = list(wb.sheet_names)
    if not names:
        raise InvalidInput(f"{path} indeholder ingen ark.", hint="Gem listen igen fra Excel.")
    if sheet is None:
        sheet_name = names[0]
    else:
        matches = [n for n in names if n == sheet] or [
            n for n in names if n.strip().lower() == sheet.strip().lower()
        ]
        if not matches:
            raise InvalidInput(
                f"{path} har intet ark, der hedder {sheet!r} (arkene er: {', '.join(names)}).",
                hint="Vælg et af arkene, eller intet ark for det første.",
                field="sheet",
            )
        sheet_name = matches[0]
    try:
        values = wb.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InvalidInput(
            f"{path}, ark {sheet_name!r}: arket kan ikke læses ({exc}).",
            hint="Åbn filen i Excel eller LibreOffice og gem den igen som .xlsx.",
        ) from exc
    lines: list[tuple[int, list[str]]] = []
    for i, raw in enumerate(values):
        cells = _clean_all([v if v.__class__ is str else cell_text(v) for v in raw])
        if any(cells):
            lines.append((i + 1, cells))
    if not lines:
        raise InvalidInput(
            f"{path}, ark {sheet_name!r}: arket er tomt.",
            hint="Vælg det rigtige ark, eller gem listen igen fra Excel.",
            field="sheet",
        )
    header_line, headers, rows = _split_header(lines)
    return Table(
        path=path,
        headers=headers,
        rows=_no_rows_check(path, header_line, rows, ()),
        header_line=header_line,
        kind="spreadsheet",
        sheet=sheet_name,
    )


# --------------------------------------------------------------------------- headers


def map_headers(
    headers: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    overrides: Mapping[str, str] | None = None,
    ignore: Iterable[str] = (),
) -> HeaderMap:
    """Match ``headers`` to fields (see the module docstring).

    ``aliases`` maps each field to the headers it may appear under (the field name itself
    always counts as an alias). Raises :class:`InvalidInput` when an override names a
    column the file does not have or a field that does not exist.
    """
    lookup: dict[str, str] = {}
    for fld, names in aliases.items():
        for name in (fld, *names):
            lookup.setdefault(normalize_header(name), fld)
    keys = [normalize_header(h) for h in headers]
    ignore_keys = {normalize_header(h) for h in ignore}
    forced: dict[int, str] = {}
    for column, fld in (overrides or {}).items():
        ck = normalize_header(column)
        positions = [i for i, k in enumerate(keys) if k == ck and ck]
        if not positions:
            raise InvalidInput(
                f"Kolonnekoblingen {column}={fld}: filen har ingen kolonne, der hedder {column!r}.",
                hint="Kolonnerne i filen er: " + ", ".join(repr(h) for h in headers) + ".",
                field="map",
            )
        target = fld.strip()
        if target != IGNORE_FIELD:
            resolved = lookup.get(normalize_header(target))
            if resolved is None:
                raise InvalidInput(
                    f"Kolonnekoblingen {column}={fld}: {fld!r} er ikke et kendt felt.",
                    hint="Kendte felter: "
                    + ", ".join(aliases)
                    + f" (eller {IGNORE_FIELD} for at springe kolonnen over).",
                    field="map",
                )
            target = resolved
        for i in positions:
            forced[i] = target
    fields: dict[str, int] = {}
    unknown: list[int] = []
    duplicates: list[tuple[int, str]] = []
    ignored: list[int] = []
    # Overridden columns first, so an override beats an alias match on another column.
    for i, fld in sorted(forced.items()):
        if fld == IGNORE_FIELD:
            ignored.append(i)
        elif fld in fields:
            duplicates.append((i, fld))
        else:
            fields[fld] = i
    for i, key in enumerate(keys):
        if i in forced:
            continue
        if key in ignore_keys:
            ignored.append(i)
            continue
        fld_name = lookup.get(key)
        if fld_name is None:
            unknown.append(i)
        elif fld_name in fields:
            duplicates.append((i, fld_name))
        else:
            fields[fld_name] = i
    return HeaderMap(
        headers=list(headers),
        fields=fields,
        unknown=unknown,
        duplicates=duplicates,
        ignored=sorted(ignored),
    )


# --------------------------------------------------------------------------- writing


def write_csv(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> Path:
    """Write a CSV Danish Excel opens with a double click (``;``, UTF-8 with BOM)."""
    path = Path(path)
    try:
        with open_private(path, "w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh, delimiter=delimiter)
            writer.writerow([neutralize(cell_text(h)) for h in headers])
            for row in rows:
                writer.writerow([neutralize(cell_text(v)) for v in row])
    except OSError as exc:
        raise InvalidInput(
            f"Kan ikke skrive {path} ({os_reason(exc)}).",
            hint="Tjek mappen og rettighederne, og luk filen i Excel, hvis den er åben.",
        ) from exc
    return path


def write_rejects_csv(
    path: Path,
    original_headers: Sequence[str],
    rejects: Iterable[Reject | tuple[int, str, Sequence[str]]],
) -> Path:
    """Write rejected rows: ``Linje``, ``Årsag``, then every original column.

    A corrected rejects file imported again brings its own ``Linje``/``Årsag`` columns:
    those are the old verdict, not data, and are left out (they doubled up before).
    """
    meta = {h.casefold() for h in REJECT_META_HEADERS}
    keep = [i for i, h in enumerate(original_headers) if str(h).strip().casefold() not in meta]
    headers = [original_headers[i] for i in keep]

    def data(cells: Sequence[str]) -> list[str]:
        return [cells[i] if i < len(cells) else "" for i in keep] + list(
            cells[len(original_headers) :]
        )

    return write_csv(
        path,
        [*REJECT_META_HEADERS, *headers],
        ([line, reason, *data(cells)] for line, reason, cells in rejects),
    )


def write_xlsx(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "Ark1",
    dropdowns: Mapping[str, Sequence[str]] | None = None,
    hidden: Iterable[str] = (),
    min_rows_validated: int = 0,
) -> Path:
    """Write an .xlsx a coordinator can work in (see the module docstring).

    ``dropdowns`` maps a header to its allowed values (an Excel list validation on that
    column's data cells; blanks allowed); ``hidden`` names columns to hide (keys that must
    come back unchanged). The drop-down covers at least ``min_rows_validated`` data rows.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet_title[:31]
    ws.append([cell_text(h) for h in headers])
    widths = [len(cell_text(h)) for h in headers]
    n = 0
    for row in rows:
        n += 1
        values: list[Any] = []
        for j, v in enumerate(row):
            if isinstance(v, (str, bool, dt.date, dt.time)) or v is None:
                text = cell_text(v)
                values.append(neutralize(text) if text[:1] in "=@\t\r" else text)
                if j < len(widths):
                    widths[j] = max(widths[j], len(text))
            else:
                values.append(v)
                if j < len(widths):
                    widths[j] = max(widths[j], len(cell_text(v)))
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even "=..." (never a formula)
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
        cell.data_type = "s"
    ncols = max(1, len(headers))
    last_col = get_column_letter(ncols)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last_col}{max(1, n + 1)}"
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(_MAX_WIDTH, max(8, w + 2))
    hidden_set = set(hidden)
    for j, h in enumerate(headers, start=1):
        if h in hidden_set:
            ws.column_dimensions[get_column_letter(j)].hidden = True
    last_row = max(n, min_rows_validated) + 1
    for header, allowed in (dropdowns or {}).items():
        if header not in headers:
            raise ValueError(f"drop-down for unknown column {header!r}")
        col_letter = get_column_letter(list(headers).index(header) + 1)
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(allowed) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Ugyldig værdi",
            error="Vælg en af værdierne på listen: " + ", ".join(allowed) + ".",
            showInputMessage=True,
            promptTitle=header,
            prompt="Vælg " + " eller ".join(allowed) + ".",
        )
        dv.add(f"{col_letter}2:{col_letter}{max(2, last_row)}")
        ws.add_data_validation(dv)
    path = Path(path)
    try:
        wb.save(private_file(path))
    except OSError as exc:
        raise InvalidInput(
            f"Kan ikke skrive {path} ({os_reason(exc)}).",
            hint="Tjek mappen og rettighederne, og luk filen i Excel, hvis den er åben.",
        ) from exc
    return path

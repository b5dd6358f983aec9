"""Check a spreadsheet archive (.xlsx, .ods: a zip) before a reader inflates it.

python-calamine trusts what the archive says: a 5 KB .xlsx whose sheet claims the range
``A1:XFD1048576`` makes it allocate 17 billion cells and abort the process (a Rust
allocation failure cannot be caught), and a 1 MB zip bomb inflates to gigabytes. So
:func:`check_archive` reads the zip directory and streams every entry once, bounded,
before calamine sees the file, and refuses with a Danish :class:`InvalidInput` naming the
file when:

- the archive has more than :data:`MAX_ENTRIES` entries, or an entry is encrypted;
- an entry inflates more than :data:`MAX_RATIO` times (past 1 MB), or all entries together
  past :data:`MAX_INFLATED` bytes; the sizes are counted while inflating, so an archive
  that understates them in its directory is caught too (zipfile stops at the stated size
  and the CRC check then fails);
- a worksheet's declared ``<dimension ref=...>`` or its farthest cell (``<c r="...">``,
  ``<row r="...">``) spans more than :data:`MAX_CELLS` cells;
- an OpenDocument sheet (``content.xml`` of an .ods) whose cells, with their
  ``number-rows-repeated`` and ``number-columns-repeated`` multiplied out, come to more
  than :data:`MAX_CELLS` (an 871-byte .ods that repeats one cell 1000 x 1000 times made
  calamine build a million cells, 140 MB; empty repeated cells are left out, calamine
  skips them too).

Together these cap what reading one spreadsheet can cost: at most :data:`MAX_INFLATED`
bytes of XML and :data:`MAX_CELLS` cells in memory.

Legacy .xls files (OLE2 compound files, not zips) get :func:`check_ole`: at most
:data:`MAX_XLS_BYTES`, and a header that is an OLE2 header whose sector counts fit the
file, before calamine reads them.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

from phoner.core.errors import InvalidInput

__all__ = [
    "MAX_CELLS",
    "MAX_ENTRIES",
    "MAX_INFLATED",
    "MAX_RATIO",
    "MAX_XLS_BYTES",
    "check_archive",
    "check_ole",
]

MAX_ENTRIES = 10_000
MAX_INFLATED = 512 * 1024 * 1024  # all entries together, inflated
MAX_RATIO = 100  # inflated / compressed, for entries past _RATIO_FLOOR
MAX_CELLS = 10_000_000  # rows x columns of one sheet
MAX_XLS_BYTES = 64 * 1024 * 1024  # a full .xls sheet (65,536 rows) is far smaller
_RATIO_FLOOR = 1024 * 1024
_CHUNK = 1024 * 1024
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,9})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="(\d{1,9})"')
_ODS_CONTENT = "content.xml"
_ODS_TAG = re.compile(rb"<(?:[\w.-]+:)?(table-row|table-cell|covered-table-cell)\b([^>]*)>")
_ROWS_REPEATED = re.compile(rb'number-rows-repeated\s*=\s*["\'](\d{1,15})')
_COLS_REPEATED = re.compile(rb'number-columns-repeated\s*=\s*["\'](\d{1,15})')
_MAX_TAG = 1024 * 1024
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HINT = (
    "Åbn filen i Excel eller LibreOffice, kopiér kun rækkerne med data til et nyt ark og "
    "gem det som .xlsx, eller gem listen som CSV (semikolonsepareret)."
)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _n(n: int) -> str:
    """A count the Danish way: 1.048.576."""
    return f"{n:,}".replace(",", ".")


def _mb(n: int) -> str:
    return f"{_n(round(n / (1024 * 1024)))} MB"


def _too_many_cells(path: Path, part: str, rows: int, cols: int, what: str) -> InvalidInput:
    return InvalidInput(
        f"{path}: arket {part} {what} {_n(rows)} rækker × {_n(cols)} kolonner, flere celler "
        f"end phoner læser i ét ark (højst {_n(MAX_CELLS)}).",
        hint=_HINT,
    )


def check_archive(path: Path, data: bytes) -> None:
    """Refuse a hostile spreadsheet archive (see the module docstring); silent if it is fine.

    A file that is no valid zip at all is left to the reader, which says so in its words.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise InvalidInput(
                f"{path}: regnearket består af {_n(len(infos))} dele, flere end et regneark "
                f"har (højst {_n(MAX_ENTRIES)}).",
                hint=_HINT,
            )
        declared = sum(i.file_size for i in infos)
        if declared > MAX_INFLATED:
            raise _too_big(path, declared)
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise InvalidInput(
                    f"{path} er beskyttet med adgangskode og kan ikke læses.",
                    hint="Fjern adgangskoden i Excel (Filer > Info > Beskyt projektmappe) "
                    "og gem filen igen.",
                )
            total = _inflate(path, archive, info, total)


def _too_big(path: Path, size: int) -> InvalidInput:
    return InvalidInput(
        f"{path} fylder {_mb(size)} pakket ud; phoner læser højst {_mb(MAX_INFLATED)} "
        "fra ét regneark (filen kan være en såkaldt zip-bombe).",
        hint=_HINT,
    )


def _inflate(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, total: int) -> int:
    """Stream one entry (bounded); check ratio, total and, for a worksheet, its extent."""
    sheet = bool(_SHEET.match(info.filename))
    ods = _OdsCells(path) if info.filename == _ODS_CONTENT else None
    max_row = max_col = 0
    tail = b""
    size = 0
    try:
        with archive.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                size += len(chunk)
                total += len(chunk)
                if total > MAX_INFLATED:
                    raise _too_big(path, total)
                if size > _RATIO_FLOOR and size > MAX_RATIO * max(1, info.compress_size):
                    raise InvalidInput(
                        f"{path}: delen {info.filename} pakkes ud fra "
                        f"{_n(info.compress_size)} til over {_n(size)} bytes (mere end "
                        f"{MAX_RATIO} gange); sådan ser en zip-bombe ud, ikke et regneark.",
                        hint=_HINT,
                    )
                if ods is not None:
                    ods.feed(chunk)
                if sheet:
                    text = tail + chunk
                    if size == len(chunk):
                        _check_dimension(path, info.filename, text)
                    for m in _CELL_REF.finditer(text):
                        max_col = max(max_col, _column_number(m.group(1)))
                        max_row = max(max_row, int(m.group(2)))
                    for m in _ROW_REF.finditer(text):
                        max_row = max(max_row, int(m.group(1)))
                    if max_row * max(1, max_col) > MAX_CELLS:
                        raise _too_many_cells(
                            path, info.filename, max_row, max_col, "har celler ud til"
                        )
                    tail = text[-256:]
    except InvalidInput:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise InvalidInput(
            f"{path} er et beskadiget regneark: delen {info.filename} kan ikke pakkes ud "
            "(den er beskadiget eller angiver en forkert størrelse).",
            hint="Åbn filen i Excel eller LibreOffice og gem den igen som .xlsx.",
        ) from exc
    return total


def _check_dimension(path: Path, part: str, head: bytes) -> None:
    m = _DIMENSION.search(head)
    if m is None:
        return
    first_col, first_row, last_col, last_row = m.groups()
    cols = _column_number(last_col or first_col or b"A")
    rows = int(last_row or first_row or 1)
    if rows * cols > MAX_CELLS:
        ref = m.group(0).split(b'"')[1].decode("ascii")
        raise _too_many_cells(path, part, rows, cols, f"angiver området {ref}, dvs.")


class _OdsCells:
    """Counts the cells an OpenDocument ``content.xml`` makes a reader build, streaming:
    each non-empty cell times its row's ``number-rows-repeated`` and its own
    ``number-columns-repeated`` (all sheets together)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 1  # the current row's repeat count
        self.cells = 0
        self.pending = b""

    def feed(self, chunk: bytes) -> None:
        text = self.pending + chunk
        for m in _ODS_TAG.finditer(text):
            kind, attrs = m.group(1), m.group(2)
            if kind == b"table-row":
                rep = _ROWS_REPEATED.search(attrs)
                self.rows = int(rep.group(1)) if rep else 1
                continue
            if attrs.rstrip().endswith(b"/") and b"value-type" not in attrs:
                continue  # an empty cell: calamine skips it, repeated or not
            rep = _COLS_REPEATED.search(attrs)
            self.cells += self.rows * (int(rep.group(1)) if rep else 1)
            if self.cells > MAX_CELLS:
                raise InvalidInput(
                    f"{self.path}: regnearket gentager sine celler til over "
                    f"{_n(MAX_CELLS)} celler (number-rows-repeated/number-columns-repeated), "
                    "flere end phoner læser i ét regneark.",
                    hint=_HINT,
                )
        start = text.rfind(b"<")
        self.pending = text[start:] if start >= 0 and b">" not in text[start:] else b""
        if len(self.pending) > _MAX_TAG:
            raise InvalidInput(
                f"{self.path} er et beskadiget regneark: content.xml har et element på over "
                f"{_mb(_MAX_TAG)}.",
                hint="Åbn filen i LibreOffice og gem den igen som .ods eller .xlsx.",
            )


def check_ole(path: Path, data: bytes) -> None:
    """Refuse a legacy .xls (OLE2 compound file) that is too large or whose header is not
    an OLE2 header that fits the file (see the module docstring); silent if it is fine."""
    hint = "Åbn filen i Excel eller LibreOffice og gem den som .xlsx eller CSV."
    if len(data) > MAX_XLS_BYTES:
        raise InvalidInput(
            f"{path} fylder {_mb(len(data))}; phoner læser højst {_mb(MAX_XLS_BYTES)} fra en "
            ".xls-fil (det gamle Excel-format).",
            hint=hint,
        )
    broken = InvalidInput(
        f"{path} er en beskadiget .xls-fil: filens indre opbygning (OLE-hovedet) passer "
        "ikke, så den kan ikke læses sikkert.",
        hint=hint,
    )
    if len(data) < 512 or not data.startswith(_OLE_SIGNATURE) or data[28:30] != b"\xfe\xff":
        raise broken
    sector_shift, mini_shift = struct.unpack_from("<HH", data, 30)
    fat_sectors, first_dir = struct.unpack_from("<II", data, 44)
    if sector_shift not in (9, 12) or mini_shift != 6:
        raise broken
    sector = 1 << sector_shift
    sectors = (len(data) - 512 + sector - 1) // sector
    if sectors == 0 or fat_sectors == 0 or fat_sectors > sectors or first_dir >= sectors:
        raise broken

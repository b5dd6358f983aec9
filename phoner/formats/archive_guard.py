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
  ``<row r="...">``) spans more than :data:`MAX_CELLS` cells.

Together these cap what reading one spreadsheet can cost: at most :data:`MAX_INFLATED`
bytes of XML and :data:`MAX_CELLS` cells in memory.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path

from phoner.core.errors import InvalidInput

__all__ = ["MAX_CELLS", "MAX_ENTRIES", "MAX_INFLATED", "MAX_RATIO", "check_archive"]

MAX_ENTRIES = 10_000
MAX_INFLATED = 512 * 1024 * 1024  # all entries together, inflated
MAX_RATIO = 100  # inflated / compressed, for entries past _RATIO_FLOOR
MAX_CELLS = 10_000_000  # rows x columns of one sheet
_RATIO_FLOOR = 1024 * 1024
_CHUNK = 1024 * 1024
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,9})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="(\d{1,9})"')
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

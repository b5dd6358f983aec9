"""The hostile files of issue 15, generated (no binary blobs in git).

Each builder writes one file into a folder and returns its path. The spreadsheet ones
are tiny on disk and enormous when believed: a sheet that claims the range
``A1:XFD1048576``, a sheet with one cell at ``XFD1048576`` and no dimension, a zip bomb
(a worksheet of blanks that deflates ~1000:1, and one whose directory understates the
inflated size). The CSV ones each carry one bad line among good rows.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

# CVRs with a valid check digit (modulus 11), to build good rows from.
GOOD_CVRS = ("12345674", "23456788", "34567891", "45678903")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _xlsx_bytes(rows: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite_sheet(data: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """The same workbook with ``xl/worksheets/sheet1.xml`` passed through ``change``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = change(body)
            dst.writestr(info.filename, body)
    return out.getvalue()


def _sample_rows() -> list[list[str]]:
    return [["Firmanavn", "CVR-nr.", "Telefon"], ["Bager Hansen ApS", GOOD_CVRS[0], "33123456"]]


def xlsx_huge_dimension(folder: Path) -> Path:
    """A 5 KB workbook whose sheet declares the whole grid, A1:XFD1048576."""
    data = _rewrite_sheet(
        _xlsx_bytes(_sample_rows()),
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml),
    )
    path = folder / "hele-arket.xlsx"
    path.write_bytes(data)
    return path


def xlsx_far_cell(folder: Path) -> Path:
    """No dimension, but one cell in the last row and column: the same 17 billion cells."""

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb"<dimension[^>]*/>", b"", xml)
        far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", far + b"</sheetData>")

    path = folder / "fjern-celle.xlsx"
    path.write_bytes(_rewrite_sheet(_xlsx_bytes(_sample_rows()), change))
    return path


@functools.cache
def _bomb_bytes(inflated_mb: int) -> bytes:
    def change(xml: bytes) -> bytes:
        return xml.replace(b"</sheetData>", b"</sheetData>" + b" " * (inflated_mb << 20))

    return _rewrite_sheet(_xlsx_bytes(_sample_rows()), change)


def xlsx_zip_bomb(folder: Path, inflated_mb: int = 100) -> Path:
    """A workbook whose sheet is ``inflated_mb`` MB of blanks after the rows (~1000:1)."""
    path = folder / "zipbombe.xlsx"
    path.write_bytes(_bomb_bytes(inflated_mb))
    return path


def xlsx_lying_sizes(folder: Path, inflated_mb: int = 64) -> Path:
    """A zip bomb whose directory says its sheet inflates to a harmless 4 KB.

    The sheet entry's ``file_size`` (in the local header and the central directory) is
    patched down, so only a reader that counts what it inflates sees the truth.
    """
    data = _bomb_bytes(inflated_mb)
    name = b"xl/worksheets/sheet1.xml"
    buf = bytearray(data)
    fake = 4096
    # local file header: signature, ..., file_size at offset 22; name at offset 30
    pos = 0
    while (pos := buf.find(b"PK\x03\x04", pos)) != -1:
        n = struct.unpack_from("<H", buf, pos + 26)[0]
        if bytes(buf[pos + 30 : pos + 30 + n]) == name:
            struct.pack_into("<I", buf, pos + 22, fake)
        pos += 4
    # central directory header: file_size at offset 24; name at offset 46
    pos = 0
    while (pos := buf.find(b"PK\x01\x02", pos)) != -1:
        n = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46 : pos + 46 + n]) == name:
            struct.pack_into("<I", buf, pos + 24, fake)
        pos += 4
    path = folder / "zipbombe-skjult.xlsx"
    path.write_bytes(bytes(buf))
    return path


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _ods_cell(text: str, repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f'<table:table-cell{rep} office:value-type="string"><text:p>{text}</text:p>'
        "</table:table-cell>"
    )


def ods_bytes(rows_xml: str) -> bytes:
    """A minimal OpenDocument spreadsheet (sheet "Ark1") with the given table rows."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Ark1">'
        f"{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
        'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
        'spreadsheet"/></manifest:manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def ods_rows(rows: list[list[str]]) -> str:
    return "".join(
        "<table:table-row>" + "".join(_ods_cell(c) for c in row) + "</table:table-row>"
        for row in rows
    )


def ods_repeated_cells(folder: Path, rows: int = 1_048_576, cols: int = 16_384) -> Path:
    """An 1 KB .ods whose last row repeats one filled cell ``cols`` times, ``rows`` times:
    calamine multiplies it out (17 billion cells for the defaults)."""
    body = ods_rows(_sample_rows()) + (
        f'<table:table-row table:number-rows-repeated="{rows}">{_ods_cell("x", cols)}'
        "</table:table-row>"
    )
    path = folder / "gentaget.ods"
    path.write_bytes(ods_bytes(body))
    return path


def xls_broken_header(folder: Path) -> Path:
    """A legacy .xls (OLE2 signature) whose header claims a million FAT sectors in 4 KB."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)  # minor, major, order, shift
    struct.pack_into("<H", header, 32, 6)  # mini sector shift
    struct.pack_into("<II", header, 44, 1_000_000, 0)  # FAT sectors, first directory
    path = folder / "gammel.xls"
    path.write_bytes(bytes(header) + b"\x00" * 4096)
    return path


def deflate_ratio(path: Path) -> float:
    """Inflated / compressed size of the biggest entry (for checking the builders)."""
    with zipfile.ZipFile(path) as zf:
        info = max(zf.infolist(), key=lambda i: i.compress_size)
        return len(zf.read(info.filename)) / max(1, info.compress_size)


# --------------------------------------------------------------------------- CSV


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def csv_lines(folder: Path, name: str, header: str, bad: str, good: list[str]) -> Path:
    """A UTF-8 CSV: header, one good row, the bad line (line 3), the other good rows."""
    lines = [header, good[0], bad, *good[1:]]
    return _write(folder, name, ("\n".join(lines) + "\n").encode("utf-8"))


def csv_mixed_encoding(folder: Path, header: str, good: list[str], bad: str) -> Path:
    """UTF-8 rows with one row saved as cp1252 in the middle (line 3)."""
    body = [header.encode("utf-8"), good[0].encode("utf-8"), bad.encode("cp1252")]
    body += [g.encode("utf-8") for g in good[1:]]
    return _write(folder, "blandet.csv", b"\n".join(body) + b"\n")


def csv_header_only(folder: Path, header: str) -> Path:
    return _write(folder, "kun-overskrift.csv", (header + "\n").encode("utf-8"))


# --------------------------------------------------------------------------- TOML


def toml_deep(folder: Path, depth: int = 100_000) -> Path:
    return _write(folder, "dyb.toml", ("a = " + "[" * depth + "]" * depth + "\n").encode())


def toml_with_bom(source: Path, folder: Path) -> Path:
    """A valid call script saved by Notepad: a UTF-8 byte-order mark first."""
    return _write(folder, "med-bom.toml", b"\xef\xbb\xbf" + source.read_bytes())

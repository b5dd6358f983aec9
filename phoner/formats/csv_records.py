"""From a CSV file's bytes to its records, one bad line never costing the whole file.

:func:`decode` finds the text (UTF-8, UTF-8/UTF-16 with BOM, cp1252; a file that mixes
UTF-8 and cp1252 lines, as when rows from two exports were pasted together, is decoded
line by line, each in its own encoding, instead of turning "Søren" into "SÃ¸ren").

:func:`records` parses the text with :mod:`csv` and sets aside, as a :class:`Problem`
with its line and column, every record the reader cannot hand on as it is:

- a cell longer than :data:`MAX_CELL` characters (Excel's own limit for a cell);
- a cell holding a NUL character (a file with many of them is no text file at all, and
  :func:`decode`'s caller refuses it as a whole);
- an unterminated quote: a quoted cell that runs over line ends and swallows lines that
  look like whole records (as many delimiters as the header line). The line with the
  quote is set aside and the reader starts again on the line after it, so the swallowed
  rows are read as the rows they are.

The cell cap is checked per record here, not through :func:`csv.field_size_limit`: that
limit is process-wide, so setting it around a read (as this module once did) changed it
for every other thread reading CSV meanwhile (the TUI imports in a worker thread), and a
second import restoring it in the middle of the first let its long cells through. The
limit is only raised, once at import, to at least :data:`_READER_LIMIT` (the default) and
never touched again; a cell past it is a ``csv.Error``, reported as the same long cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["MAX_CELL", "Problem", "decode", "detect_delimiter", "records"]

MAX_CELL = 32_767  # characters; Excel cannot hold more in a cell
_DELIMITERS = (";", "\t", ",")  # preference order on a tie (Danish exports use ;)
_READER_LIMIT = 131_072  # the csv module's default field limit
if csv.field_size_limit() < _READER_LIMIT:  # once, at import (before any thread reads)
    csv.field_size_limit(_READER_LIMIT)
_LONG_CELL = f"en celle er længere end {MAX_CELL:_} tegn (Excels grænse)".replace("_", ".")


@dataclass(frozen=True, slots=True)
class Problem:
    """A record set aside: first line, column index (None: unknown), Danish text."""

    line: int
    column: int | None
    text: str
    cells: list[str]


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of a CSV file's bytes (see the module docstring)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    decoded: list[str] = []
    utf8_beyond_ascii = False
    for raw in lines:
        try:
            text = raw.decode("utf-8")
            utf8_beyond_ascii = utf8_beyond_ascii or not raw.isascii()
        except UnicodeDecodeError:
            text = _legacy(raw)
        decoded.append(text)
    if utf8_beyond_ascii:
        return "\n".join(decoded), "utf-8+cp1252"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _legacy(raw: bytes) -> str:
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def count_outside_quotes(line: str, ch: str) -> int:
    n, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            n += 1
    return n


def detect_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ";"
    sep = re.fullmatch(r"\s*sep=(.)\s*", lines[0])  # Excel's "sep=;" hint line
    if sep is not None:
        return sep.group(1)
    # The header decides: the first line with any delimiter (a title line may come first).
    for line in lines[:10]:
        counts = {d: count_outside_quotes(line, d) for d in _DELIMITERS}
        best = max(_DELIMITERS, key=lambda d: counts[d])  # max keeps the first on a tie
        if counts[best] > 0:
            return best
    return ";"


def _header_delimiters(text: str, delimiter: str) -> int:
    for line in text[:100_000].splitlines()[:10]:
        n = count_outside_quotes(line, delimiter)
        if n:
            return n
    return 0


def _swallowed(record: list[str], delimiter: str, threshold: int) -> int | None:
    """The column of a cell that ran over whole lines of records, or None."""
    for j, cell in enumerate(record):
        if "\n" in cell or "\r" in cell:
            for continuation in cell.splitlines()[1:]:
                if continuation.count(delimiter) >= threshold:
                    return j
    return None


def _column_of_long_cell(raw: str, delimiter: str) -> int | None:
    for j, piece in enumerate(raw.split(delimiter)):
        if len(piece) > MAX_CELL:
            return j
    return None


def records(
    text: str, delimiter: str, clean: Callable[[list[str]], list[str]]
) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """The non-empty records as (first line, cleaned cells), and the records set aside."""
    threshold = max(1, _header_delimiters(text, delimiter) - 1)
    nul = "\x00" in text
    lines: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    append = lines.append
    # The common case reads straight from the text; the physical lines are split out only
    # when a record must be set aside and the reader restarted on the line after it.
    physical: list[str] | None = None
    source: Iterator[str] = io.StringIO(text, newline="")
    offset = 0  # physical lines before the current reader's first line
    long_cells = len(text) > MAX_CELL  # else no cell can be too long: skip the check
    while True:
        restart: int | None = None
        reader = csv.reader(source, delimiter=delimiter, strict=False)
        previous_end = 0
        try:
            for record in reader:
                start = offset + previous_end + 1
                end = offset + reader.line_num
                previous_end = reader.line_num
                if end > start:
                    column = _swallowed(record, delimiter, threshold)
                    if column is not None:
                        physical = physical or list(io.StringIO(text, newline=""))
                        problems.append(_unclosed(start, end, column, physical, delimiter))
                        restart = start  # the line after the one with the quote
                        break
                if long_cells and max(map(len, record), default=0) > MAX_CELL:
                    column = next(j for j, c in enumerate(record) if len(c) > MAX_CELL)
                    problems.append(Problem(start, column, _LONG_CELL, clean(record)))
                    continue
                cells = clean(record)
                if nul and any("\x00" in c for c in cells):
                    column = next(j for j, c in enumerate(cells) if "\x00" in c)
                    problems.append(
                        Problem(
                            start,
                            column,
                            "cellen indeholder et NUL-tegn (et binært tegn, ikke tekst)",
                            [c.replace("\x00", "") for c in cells],
                        )
                    )
                elif any(cells):
                    append((start, cells))
        except csv.Error as exc:
            physical = physical or list(io.StringIO(text, newline=""))
            start = offset + previous_end + 1
            end = max(start, offset + reader.line_num)
            raw = "".join(physical[start - 1 : end])
            cells = clean(raw.rstrip("\r\n").split(delimiter))
            if "larger than field limit" in str(exc):
                problems.append(
                    Problem(start, _column_of_long_cell(raw, delimiter), _LONG_CELL, cells)
                )
            else:
                problems.append(Problem(start, None, "linjen kan ikke læses som CSV", cells))
            restart = end
        if restart is None or physical is None or restart >= len(physical):
            break
        rest = iter(physical)
        rest.__setstate__(restart)  # type: ignore[attr-defined]  # O(1), unlike islice
        source, offset = rest, restart
    return lines, problems


def _unclosed(start: int, end: int, column: int, physical: list[str], delimiter: str) -> Problem:
    # the line as it stands, split at every delimiter: the stray quote shows where it is
    raw = physical[start - 1].rstrip("\r\n")
    return Problem(
        start,
        column,
        f'et anførselstegn (") åbnes, men lukkes ikke, så linje {start}-{end} blev læst '
        f"som én række; linjen er sprunget over, og linjerne efter den er læst hver for sig",
        [c.strip() for c in raw.split(delimiter)],
    )

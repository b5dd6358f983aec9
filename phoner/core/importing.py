"""The frame every importer shares: the result base, the row driver, the rejects file.

The importers (call list, known companies, clearing sheet, outcomes, consultants, visit
results) read a file (:func:`phoner.formats.tabular.read_table`), map its headers to
fields, and then share one invariant: bad input never loses good data. A bad row is
rejected with its line and a Danish reason (:func:`rows`); the rest goes in; the rejects
are written next to the input (``NAME.afviste.csv``, :func:`write_rejects`) with the
original columns, so the user can fix and re-import them.

Every result is an :class:`ImportResult`: ``read`` data rows, ``rejects`` (line, reason,
cells), ``rejected == len(rejects)``, ``rejects_file`` (None when nothing was rejected or
no file was written). :meth:`ImportResult.common_json` is the part of every importer's
``--json`` output that means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from phoner.formats.tabular import Reject, Row, Table, write_rejects_csv

T = TypeVar("T")


@dataclass(kw_only=True)
class ImportResult:
    """What every importer reports (see the module doc); importers add their own counts."""

    read: int = 0
    rejects: list[Reject] = field(default_factory=list)
    rejects_file: Path | None = None

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    def reject(self, row: Row, reason: str) -> None:
        self.rejects.append(Reject(row.line, reason, row.cells))

    def common_json(self) -> dict[str, Any]:
        """``read``, ``rejected`` and ``rejects_file``: the keys every importer's JSON has."""
        return {
            "read": self.read,
            "rejected": self.rejected,
            "rejects_file": None if self.rejects_file is None else str(self.rejects_file),
        }


def default_rejects_path(path: Path) -> Path:
    """``liste.csv`` -> ``liste.afviste.csv`` next to the input."""
    return path.with_name(f"{path.stem}.afviste.csv")


def start(table: Table, result: ImportResult) -> None:
    """Begin ``result`` with what the reader already knows: the rows read (including
    those it could not use) and its own per-line rejects (an unterminated quote, a NUL)."""
    result.read = table.read
    result.rejects[:0] = table.rejects


def rows(
    table: Table, check: Callable[[Row], T | str], result: ImportResult
) -> Iterator[tuple[Row, T]]:
    """The row driver: each row ``check`` accepts, with what it made of it.

    ``check`` returns a value, or the Danish reason the row is rejected (recorded in
    ``result``). ``result`` starts as :func:`start` makes it.
    """
    start(table, result)
    for row in table.rows:
        value = check(row)
        if isinstance(value, str):
            result.reject(row, value)
        else:
            yield row, value


def write_rejects(
    result: ImportResult, *, source: Path, headers: Sequence[str], target: Path | None = None
) -> Path | None:
    """Write the rejected rows (if any) to ``target`` or :func:`default_rejects_path`;
    sets and returns ``result.rejects_file``. Rejects are written in line order."""
    if not result.rejects:
        return None
    result.rejects.sort(key=lambda r: r.line)
    result.rejects_file = target or default_rejects_path(source)
    write_rejects_csv(result.rejects_file, list(headers), result.rejects)
    return result.rejects_file

"""The importer frame (phoner.core.importing): row driver, rejects file, common result."""

from __future__ import annotations

import csv
from pathlib import Path

from phoner.core import importing
from phoner.core.importing import ImportResult
from phoner.formats.tabular import Row, Table


def test_rows_rejects_reasons_and_yields_the_rest_and_rejects_go_to_a_file(
    tmp_path: Path,
) -> None:
    table = Table(
        path=tmp_path / "fil.xlsx",
        headers=["Navn", "Tal"],
        rows=[Row(2, ["a", "1"]), Row(3, ["", "2"]), Row(5, ["c", "x"])],
    )
    result = ImportResult()

    def check(row: Row) -> int | str:
        if not row.cells[0]:
            return "Navn mangler"
        return int(row.cells[1]) if row.cells[1].isdigit() else f"{row.cells[1]!r} er ikke et tal"

    accepted = [(row.line, value) for row, value in importing.rows(table, check, result)]
    assert accepted == [(2, 1)]
    assert (result.read, result.rejected) == (3, 2)
    source = tmp_path / "fil.xlsx"
    assert importing.write_rejects(result, source=source, headers=["Navn", "Tal"]) == (
        tmp_path / "fil.afviste.csv"
    )
    with (tmp_path / "fil.afviste.csv").open(encoding="utf-8-sig") as fh:
        back = list(csv.reader(fh, delimiter=";"))
    assert back == [
        ["Linje", "Årsag", "Navn", "Tal"],
        ["3", "Navn mangler", "", "2"],
        ["5", "'x' er ikke et tal", "c", "x"],
    ]
    assert result.common_json() == {
        "read": 3,
        "rejected": 2,
        "rejects_file": str(tmp_path / "fil.afviste.csv"),
    }


def test_nothing_rejected_writes_no_file(tmp_path: Path) -> None:
    result = ImportResult(read=4)
    assert importing.write_rejects(result, source=tmp_path / "f.csv", headers=["A"]) is None
    assert list(tmp_path.iterdir()) == []
    assert result.common_json() == {"read": 4, "rejected": 0, "rejects_file": None}

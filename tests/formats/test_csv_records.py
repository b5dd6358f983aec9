"""The CSV reader's cell cap never touches the process-wide csv.field_size_limit."""

from __future__ import annotations

import csv
import io

from phoner.formats import csv_records
from phoner.formats.csv_records import MAX_CELL, records


def test_reading_leaves_the_process_wide_field_limit_alone() -> None:
    """The limit is global: while one thread read a list (the TUI imports in a worker
    thread) every other thread's CSV reads had phoner's cap, and a second read restoring
    it midway let the first one's long cells through."""
    before = csv.field_size_limit()
    assert before >= MAX_CELL
    long = "x" * 50_000  # over phoner's cap, under the csv module's default
    seen_elsewhere: list[int] = []

    def clean(cells: list[str]) -> list[str]:
        # what another thread would see in the middle of the import
        seen_elsewhere.append(csv.field_size_limit())
        [[got]] = list(csv.reader(io.StringIO(long)))
        assert got == long
        return cells

    text = "navn;note\nA;kort\nB;" + "y" * (MAX_CELL + 1) + "\nC;ok\n"
    lines, problems = records(text, ";", clean)
    assert seen_elsewhere and set(seen_elsewhere) == {before}
    assert csv.field_size_limit() == before
    assert [cells[0] for _line, cells in lines] == ["navn", "A", "C"]
    [problem] = problems
    assert (problem.line, problem.column) == (3, 1)
    assert "32.767" in problem.text


def test_a_cell_past_the_readers_own_limit_is_the_same_long_cell() -> None:
    text = "navn;note\nA;" + "z" * (csv_records._READER_LIMIT + 10) + "\nB;ok\n"
    lines, problems = records(text, ";", lambda cells: cells)
    assert [cells[0] for _line, cells in lines] == ["navn", "B"]
    assert [(p.line, p.column) for p in problems] == [(2, 1)]
    assert "32.767" in problems[0].text

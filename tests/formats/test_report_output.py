"""Report rendering: terminal text, Markdown, CSV, JSON and an Excel file that reads back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from phoner.formats import report_output as ro
from phoner.formats.report_output import Num, Pct, Report, ReportTable


def _report() -> Report:
    return Report(
        name="test",
        title="Omgange",
        campaign="Efterår",
        data={"campaign": "Efterår", "share": 5 / 8},
        tables=[
            ReportTable(
                title="Antal",
                columns=["Omgang", "Virksomheder", "Besvaret", "Procent", "Dage"],
                rows=[
                    ["1", 8, 5, Pct(5, 8), Num(2.25)],
                    ['=HYPERLINK("x")', 0, 0, Pct(0, 0), Num(None)],
                    ["I alt", 8, 5, Pct(5, 8), Num(2.0)],
                ],
                total_rows=1,
                notes=["Nævner: alle virksomheder."],
            ),
            ReportTable(title="Tom", columns=["A", "B"], rows=[]),
        ],
        notes=["Procenter er afrundet."],
    )


def test_text_aligns_and_marks_totals() -> None:
    text = ro.render_text(_report())
    lines = text.splitlines()
    assert lines[0] == "Omgange – Efterår"
    assert "63 %" in text and "2,3" in text and "–" in text
    i = lines.index("Antal")
    header, rule = lines[i + 1], lines[i + 2]
    assert header.startswith("Omgang") and set(rule.replace(" ", "")) == {"-"}
    assert lines[i + 5].startswith("------")  # rule before the total row
    assert lines[i + 6].startswith("I alt")
    assert "(ingen data)" in text
    assert "Nævner: alle virksomheder." in text
    assert text.endswith("Procenter er afrundet.\n")


def test_markdown_table() -> None:
    md = ro.render_markdown(_report())
    assert "| Omgang | Virksomheder | Besvaret | Procent | Dage |" in md
    assert "|---|---:|---:|---:|---:|" in md
    assert "| **I alt** | **8** | **5** | **63 %** | **2,0** |" in md


def test_json_has_unrounded_data() -> None:
    assert json.loads(ro.render_json(_report())) == {"campaign": "Efterår", "share": 0.625}


def test_csv_whole_percent_and_injection_safe() -> None:
    text = ro.render_csv(_report())
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Antal"]
    assert rows[1] == ["Omgang", "Virksomheder", "Besvaret", "Procent", "Dage"]
    assert rows[2] == ["1", "8", "5", "63", "2,3"]
    assert rows[3][0] == '\'=HYPERLINK("x")'
    assert rows[3][3:] == ["", ""]
    assert rows[5] == []
    assert rows[6] == ["Tom"]


def test_single_table_csv_has_no_title_line(tmp_path: Path) -> None:
    rep = _report()
    rep.tables = rep.tables[:1]
    path = ro.write_csv(rep, tmp_path / "r.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == "Omgang;Virksomheder;Besvaret;Procent;Dage"


def test_xlsx_reads_back_with_the_same_numbers(tmp_path: Path) -> None:
    path = ro.write_xlsx(_report(), tmp_path / "r.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Antal", "Tom", "Noter"]
    ws = wb["Antal"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Omgang", "Virksomheder", "Besvaret", "Procent", "Dage")
    assert rows[1] == ("1", 8, 5, 0.625, 2.25)
    assert ws["D2"].number_format == "0%"
    assert ws["A3"].data_type == "s" and ws["A3"].value == '\'=HYPERLINK("x")'
    assert rows[2][3] is None
    assert rows[3][0] == "I alt" and ws["A4"].font.bold
    assert ws.freeze_panes == "A2"
    notes = [r[0] for r in wb["Noter"].iter_rows(values_only=True)]
    assert "Antal: Nævner: alle virksomheder." in notes
    # calamine (what phoner's importers use) reads the same values
    cal = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Antal").to_python()
    assert cal[1][:4] == ["1", 8.0, 5.0, 0.625]


def test_sheet_names_are_valid_and_unique() -> None:
    used: set[str] = set()
    assert (
        ro.sheet_name("Besøg pr. område/jobcenter [alle]", used)
        == "Besøg pr. område-jobcenter -all"
    )
    assert ro.sheet_name("Noter", used) == "Noter"
    assert ro.sheet_name("noter", used) == "noter (2)"

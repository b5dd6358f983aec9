"""CSV/XLSX reading and writing: encodings, delimiters, line numbers, injection."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from phoner.core.errors import InvalidInput
from phoner.formats.tabular import (
    REJECT_META_HEADERS,
    Reject,
    map_headers,
    neutralize,
    normalize_header,
    read_table,
    write_csv,
    write_rejects_csv,
    write_xlsx,
)

HEADER = "Firmanavn;CVR-nr.;Telefon;By"
BODY = "Østergaard Smedie ApS;12345674;33 12 34 56;Køge\nBæk & Søn;;+45 40 11 22 33;Århus\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "liste.csv"
    path.write_bytes(f"{HEADER}\n{BODY}".encode(encoding))
    table = read_table(path)
    assert table.encoding == expected
    assert table.delimiter == ";"
    assert table.headers == ["Firmanavn", "CVR-nr.", "Telefon", "By"]
    assert [r.line for r in table.rows] == [2, 3]
    assert table.rows[0].cells == ["Østergaard Smedie ApS", "12345674", "33 12 34 56", "Køge"]
    assert table.rows[1].cells[3] == "Århus"


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "liste.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(["Navn", "Telefon", "Adresse"])
        w.writerow(["A, B og C ApS", "33 12 34 56; 40 11 22 33", "Vej 1, 4100 Ringsted"])
    table = read_table(path)
    assert table.delimiter == delimiter
    assert table.rows[0].cells == [
        "A, B og C ApS",
        "33 12 34 56; 40 11 22 33",
        "Vej 1, 4100 Ringsted",
    ]


def test_line_numbers_skip_blank_lines_and_follow_multiline_records(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text('Navn;Note\nA;x\n\n"B";"to\nlinjer"\nC;y;overskud\nD\n', encoding="utf-8")
    table = read_table(path)
    assert [(r.line, r.cells) for r in table.rows] == [
        (2, ["A", "x"]),
        (4, ["B", "to\nlinjer"]),
        (6, ["C", "y"]),
        (7, ["D", ""]),
    ]
    assert table.rows[2].surplus == ["overskud"]


def test_xlsx_cells_become_clean_strings_with_sheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "liste.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Virksomheder"
    ws.append(["Firmanavn", "CVR", "Telefon", "Ansatte", "Dato", "Reklamebeskyttet"])
    ws.append(["Ærø Bageri", 12345674, 33123456.0, 3.5, dt.date(2026, 1, 31), True])
    ws.append([None, None, None, None, None, None])
    ws.append(["Å/S", "12345674", "+45 33 12 34 56", 12, dt.datetime(2026, 2, 1, 14, 5), False])
    other = wb.create_sheet("Andet")
    other.append(["X"])
    other.append(["y"])
    wb.save(path)
    table = read_table(path)
    assert table.kind == "spreadsheet" and table.sheet == "Virksomheder"
    assert [r.line for r in table.rows] == [2, 4]
    assert table.rows[0].cells == ["Ærø Bageri", "12345674", "33123456", "3.5", "2026-01-31", "Ja"]
    assert table.rows[1].cells[4:] == ["2026-02-01 14:05", "Nej"]
    assert read_table(path, sheet="andet").rows[0].cells == ["y"]
    with pytest.raises(InvalidInput, match="Virksomheder, Andet"):
        read_table(path, sheet="Findes ikke")


def test_xlsx_renamed_to_csv_is_still_read_as_spreadsheet(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "a.xlsx", ["Navn"], [["A"]])
    renamed = tmp_path / "a.csv"
    renamed.write_bytes(xlsx.read_bytes())
    assert read_table(renamed).rows[0].cells == ["A"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "er tom"), (b"\n\n  \n", "er tom"), (b"PK\x03\x04garbage", "regneark")],
)
def test_unreadable_files_raise_danish_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "liste.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        read_table(path)
    with pytest.raises(InvalidInput, match="findes ikke"):
        read_table(tmp_path / "mangler.csv")


def test_a_csv_named_xlsx_is_told_in_danish(tmp_path: Path) -> None:
    # Was "kan ikke læses som et regneark (CalamineError: Cannot detect file format)":
    # the library's English words, and no hint that the file is a CSV.
    path = tmp_path / "bookinger.xlsx"
    path.write_text("CVR;Konsulent;Start\n12345674;Bo;2027-03-24 09:00\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_table(path)
    assert "bookinger.xlsx er ikke et regneark" in caught.value.message
    assert "Calamine" not in str(caught.value) and "omdøb den til .csv" in str(caught.value)


ALIASES = {
    "name": ["Firmanavn", "Navn", "Virksomhed"],
    "cvr": ["CVR", "CVR-nr.", "CVR-nummer"],
    "phone": ["Telefon", "Tlf.", "Tlf.nr."],
    "employees": ["Antal ansatte"],
}


def test_map_headers_is_insensitive_and_reports_unknown_and_duplicates() -> None:
    headers = ["FIRMANAVN ", "cvr nr", "Tlf.-nr.", "Antal  ansatte", "Hjemmeside", "Navn", "Linje"]
    hm = map_headers(headers, ALIASES, ignore=REJECT_META_HEADERS)
    assert hm.fields == {"name": 0, "cvr": 1, "phone": 2, "employees": 3}
    assert hm.unknown == [4]
    assert hm.duplicates == [(5, "name")]
    assert hm.ignored == [6]
    assert hm.missing(["name", "email"]) == ["email"]
    assert normalize_header("Tlf.-nr.") == normalize_header("tlfnr")
    assert normalize_header("Ærø") == "aeroe"


def test_map_headers_overrides_win_and_are_checked() -> None:
    hm = map_headers(["Navn", "Firma", "Nummer"], ALIASES, {"Firma": "name", "Nummer": "telefon"})
    assert hm.fields == {"name": 1, "phone": 2}
    assert hm.duplicates == [(0, "name")]
    hm2 = map_headers(["Navn", "Tlf"], ALIASES, {"tlf": "-"})
    assert hm2.ignored == [1] and "phone" not in hm2.fields
    with pytest.raises(InvalidInput, match="ingen kolonne"):
        map_headers(["Navn"], ALIASES, {"Mobil": "phone"})
    with pytest.raises(InvalidInput, match="ikke et kendt felt"):
        map_headers(["Navn"], ALIASES, {"Navn": "skostørrelse"})


def test_neutralize_blocks_formulas_but_leaves_phone_numbers() -> None:
    assert neutralize('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert neutralize("@SUM(A1)") == "'@SUM(A1)"
    assert neutralize("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert neutralize("-2+3+cmd") == "'-2+3+cmd"
    assert neutralize("+45 33 12 34 56") == "+45 33 12 34 56"
    assert neutralize("-12") == "-12"
    assert neutralize("Bæk & Søn") == "Bæk & Søn"
    # a tab, newline or non-ASCII digit after the sign is not a phone number (found by
    # the importer fuzz test: '+\t5 33123456' went into a rejects file as it was)
    assert neutralize("+\t5 33123456") == "'+\t5 33123456"
    assert neutralize("-1\n=cmd") == "'-1\n=cmd"
    assert neutralize("+٤٥") == "'+٤٥"


def test_rejects_csv_round_trips_and_is_injection_safe(tmp_path: Path) -> None:
    path = write_rejects_csv(
        tmp_path / "liste.afviste.csv",
        ["Navn", "Telefon"],
        [
            Reject(3, "Ugyldigt CVR-nummer", ["=1+1", "+45 33 12 34 56"]),
            (7, "Intet nummer", ["B", ""]),
        ],
    )
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "'=1+1" in raw.decode("utf-8-sig")
    table = read_table(path)
    assert table.headers == ["Linje", "Årsag", "Navn", "Telefon"]
    assert [r.cells for r in table.rows] == [
        ["3", "Ugyldigt CVR-nummer", "=1+1", "+45 33 12 34 56"],
        ["7", "Intet nummer", "B", ""],
    ]


def test_rejects_of_a_rejects_file_keep_one_pair_of_meta_columns(tmp_path: Path) -> None:
    """Re-importing a corrected rejects file wrote 'Linje;Årsag;Linje;Årsag;…'."""
    path = write_rejects_csv(
        tmp_path / "liste.afviste.afviste.csv",
        ["Linje", "Årsag", "Navn", "Telefon"],
        [(2, "Stadig intet nummer", ["3", "Intet nummer", "B", ""])],
    )
    table = read_table(path)
    assert table.headers == ["Linje", "Årsag", "Navn", "Telefon"]
    assert [r.cells for r in table.rows] == [["2", "Stadig intet nummer", "B", ""]]


def test_write_csv_defaults_to_danish_excel(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ud.csv", ["Navn", "Ansatte"], [["Ærø", 12], ["@x", None]])
    assert path.read_bytes().decode("utf-8-sig") == "Navn;Ansatte\r\nÆrø;12\r\n'@x;\r\n"


def test_xlsx_has_frozen_header_filter_widths_dropdown_and_text_cells(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "clearing.xlsx",
        ["Nr", "Firmanavn", "Beslutning"],
        [[1, "En meget lang virksomhedsnavn ApS", ""], [2, "=cmd()", "Fjern"]],
        sheet_title="Clearing",
        dropdowns={"Beslutning": ["Behold", "Fjern"]},
        hidden=["Nr"],
    )
    wb = openpyxl.load_workbook(path)
    ws = wb["Clearing"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:C3"
    assert ws.column_dimensions["B"].width >= len("En meget lang virksomhedsnavn ApS")
    assert ws.column_dimensions["A"].hidden
    assert ws["A1"].font.bold
    assert ws["B3"].data_type == "s" and ws["B3"].value == "'=cmd()"
    assert ws["A2"].value == 1
    dvs = ws.data_validations.dataValidation
    assert len(dvs) == 1
    assert dvs[0].type == "list" and dvs[0].formula1 == '"Behold,Fjern"'
    assert str(dvs[0].sqref) == "C2:C3"
    table = read_table(path)
    assert table.rows[1].cells == ["2", "=cmd()", "Fjern"]


def test_title_and_sep_lines_before_the_header_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text(
        "sep=,\nVirksomhedsliste; januar 2026\n\nNavn,Telefon,\nA,33 12 34 56,\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.delimiter == ","
    assert (table.header_line, table.headers) == (4, ["Navn", "Telefon"])
    assert [(r.line, r.cells, r.surplus) for r in table.rows] == [(5, ["A", "33 12 34 56"], [])]
    xlsx = tmp_path / "liste.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Eksport fra CVR"])
    ws.append(["Navn", "CVR"])
    ws.append(["B", 12345674])
    wb.save(xlsx)
    table = read_table(xlsx)
    assert (table.header_line, table.headers) == (2, ["Navn", "CVR"])
    assert [(r.line, r.cells) for r in table.rows] == [(3, ["B", "12345674"])]
    one_column = tmp_path / "kendte.csv"
    one_column.write_text("CVR\n12345674\n", encoding="utf-8")
    assert read_table(one_column).headers == ["CVR"]


# --------------------------------------------------------------------------- hostile lines
# (issue 15; every importer runs them in tests/fuzz/test_hostile_files.py)


def test_unterminated_quote_is_a_reject_and_the_swallowed_rows_are_read(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text('Navn;Telefon\nA;"33 12\nB;44\nC;"55"\nD;66\n', encoding="utf-8")
    table = read_table(path)
    assert [(r.line, r.cells) for r in table.rows] == [
        (3, ["B", "44"]),
        (4, ["C", "55"]),
        (5, ["D", "66"]),
    ]
    assert [(r.line, r.reason[:36]) for r in table.rejects] == [
        (2, "kolonnen 'Telefon': et anførselstegn")
    ]
    assert table.read == 4


def test_a_multiline_cell_without_delimiters_is_still_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text('Navn;Adresse;By\nA;"Vej 1\nbaghuset";Køge\nB;Vej 2;Køge\n', encoding="utf-8")
    table = read_table(path)
    assert [r.cells[1] for r in table.rows] == ["Vej 1\nbaghuset", "Vej 2"]
    assert table.rejects == []


def test_many_unterminated_quotes_stay_linear(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text("Navn;Telefon\n" + 'A;"1\nB;2\n' * 5000, encoding="utf-8")
    table = read_table(path)  # 5,000 restarts; each must not re-skip the lines before it
    assert (len(table.rows), len(table.rejects)) == (5000, 5000)


def test_a_long_cell_is_a_reject_in_danish_not_pythons_english(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text(f"Navn;Note\nA;{'x' * 131_073}\nB;ok\n", encoding="utf-8")
    table = read_table(path)  # was: InvalidInput "field larger than field limit (131072)"
    assert [r.cells for r in table.rows] == [["B", "ok"]]
    assert table.rejects[0].line == 2
    assert table.rejects[0].reason == (
        "kolonnen 'Note': en celle er længere end 32.767 tegn (Excels grænse)"
    )


def test_a_nul_in_one_cell_rejects_the_row_but_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text("Navn;Note\nA;x\x00y\nB;ok\n", encoding="utf-8")
    table = read_table(path)
    assert [r.cells for r in table.rows] == [["B", "ok"]]
    assert (table.rejects[0].line, table.rejects[0].cells) == (2, ["A", "xy"])
    binary = tmp_path / "binaer.csv"
    binary.write_bytes(b"Navn;Note\n" + b"\x00\x01" * 500)
    with pytest.raises(InvalidInput, match="ligner ikke en tekst- eller Excel-fil"):
        read_table(binary)


def test_a_hostile_header_line_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text("Navn;No\x00te\nA;x\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"linje 1: .*NUL-tegn.*kolonneoverskrifterne"):
        read_table(path)


def test_mixed_utf8_and_cp1252_lines_are_each_decoded(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_bytes(
        "Navn;By\nÅse;Køge\n".encode() + "Søren;Ærø\n".encode("cp1252") + "Bo;Ølstykke\n".encode()
    )
    table = read_table(path)
    assert [r.cells for r in table.rows] == [["Åse", "Køge"], ["Søren", "Ærø"], ["Bo", "Ølstykke"]]
    assert table.encoding == "utf-8+cp1252"


def test_header_only_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text("Navn;Telefon\n\n\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="kun kolonneoverskrifterne \\(linje 1\\)"):
        read_table(path)
    xlsx = tmp_path / "liste.xlsx"
    write_xlsx(xlsx, ["Navn", "Telefon"], [])
    with pytest.raises(InvalidInput, match="kun kolonneoverskrifterne"):
        read_table(xlsx)

"""A messy Danish call list, as files arrive: odd CVR and phone spellings, duplicates,
rejects, a blank line; written as cp1252/UTF-8 CSV or XLSX. ``EXPECTED_REJECTS`` is what
the importer must refuse, by line."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

A, B, C, D, E, F, G, H = (
    "12345674",
    "23456788",
    "34567891",
    "45678903",
    "56789014",
    "67890124",
    "78901233",
    "89012341",
)
HEADERS = [
    "Firmanavn",
    "CVR-nr.",
    "Telefon",
    "Kontaktperson",
    "Adresse",
    "Postnr.",
    "By",
    "Kommune",
    "Branche",
    "Antal ansatte",
    "E-mail",
    "Hjemmeside",
]
# (line in file, cells); line 13 is left blank in the file.
ROWS: list[tuple[int, list[str]]] = [
    (
        2,
        [
            "Ærø Bageri ApS",
            A,
            "+45 33 12 34 56",
            "Åse Bæk",
            "Nørregade 1",
            "4600",
            "Køge",
            "Køge",
            "107120 Bagerier",
            "12",
            "",
            "aeroe.dk",
        ],
    ),
    (
        3,
        [
            "Østergaard Smedie",
            f"DK-{B[:4]} {B[4:]}",
            "0045 33123457",
            "",
            "Vej 2",
            "4000",
            "Roskilde",
            "Roskilde",
            "251100 Metal",
            "40",
            "",
            "",
        ],
    ),
    (4, ["Bæk & Søn I/S", C, "(+45) 3312-3458", "", "", "", "", "Køge", "", "3", "", ""]),
    (
        5,
        [
            "Åbyhøj VVS",
            D,
            "33.12.34.59 / 40 11 22 33",
            "",
            "",
            "",
            "",
            "Køge",
            "432200 VVS",
            "ca. 25",
            "",
            "",
        ],
    ),
    (6, ["Svensk Handel AB", E, "+46 8 123 456 78", "", "", "", "", "Roskilde", "", "", "", ""]),
    (7, ["Ugyldigt Nummer ApS", F, "12 34", "", "", "", "", "Køge", "", "", "", ""]),
    (8, ["Dårligt CVR ApS", "12345678", "33 12 34 60", "", "", "", "", "Køge", "", "", "", ""]),
    (
        9,
        [
            "Ærø Bageri",
            A,
            "20 30 40 50",
            "Bo Holm",
            "",
            "",
            "",
            "Køge",
            "",
            "",
            "info@aeroe.dk",
            "",
        ],
    ),
    (10, ["Uden CVR Café", "", "56 78 90 12", "", "", "", "", "Roskilde", "", "", "", ""]),
    (11, ["", G, "33 12 34 61", "", "", "", "", "Køge", "", "", "", ""]),
    (12, ["Samme Nummer ApS", H, "33 12 34 57", "", "", "", "", "Roskilde", "", "", "", ""]),
    (14, ["Intet Nummer ApS", "90123459", "", "", "", "", "", "Køge", "", "", "", ""]),
]
EXPECTED_REJECTS = [
    (7, "Intet gyldigt telefonnummer ('12 34' er ikke et gyldigt nummer)"),
    (8, "Ugyldigt CVR-nummer '12345678' (8 cifre med gyldigt kontrolciffer)"),
    (11, "Firmanavn mangler"),
    (14, "Telefonnummer mangler"),
]


def write_messy_csv(path: Path, *, encoding: str = "cp1252", delimiter: str = ";") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(HEADERS)
        line = 2
        for want, cells in ROWS:
            while line < want:
                fh.write("\r\n")
                line += 1
            w.writerow(cells)
            line += 1
    return path


def write_messy_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADERS)
    line = 2
    for want, cells in ROWS:
        while line < want:
            ws.append([None] * len(HEADERS))
            line += 1
        values: list[object] = list(cells)
        if cells[1].isdigit():
            values[1] = int(cells[1])  # CVR typed as a number, as Excel does
        if cells[9].isdigit():
            values[9] = float(cells[9])
        ws.append(values)
        line += 1
    wb.save(path)
    return path


def valid_cvrs(n: int, *, start: int = 30000000) -> list[str]:
    """``n`` distinct CVR numbers that pass the modulus-11 check, from ``start`` up."""
    weights = (2, 7, 6, 5, 4, 3, 2, 1)
    out: list[str] = []
    number = start
    while len(out) < n:
        number += 1
        if sum(w * int(d) for w, d in zip(weights, str(number), strict=True)) % 11 == 0:
            out.append(str(number))
    return out

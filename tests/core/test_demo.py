"""The demo list is realistic: valid CVR numbers and phone numbers in Danish formats."""

from __future__ import annotations

import csv
from pathlib import Path

from phoner.core.demo import DEMO_LIST, HEADERS, demo_rows
from phoner.core.phones import cvr_is_valid, parse_phones

REPO = Path(__file__).resolve().parents[2]


def test_generated_rows_are_valid_and_varied() -> None:
    rows = demo_rows()
    assert len({r["CVR-nr."] for r in rows}) == len(rows)
    assert all(cvr_is_valid(r["CVR-nr."]) for r in rows)
    for r in rows:
        parsed = parse_phones(r["Telefon"])
        assert parsed.valid and not parsed.invalid, r["Telefon"]
    formats = {r["Telefon"][:3] for r in rows}
    assert {"+45", "004", "(+4"} <= formats  # several export styles
    assert any(len(parse_phones(r["Telefon"]).valid) == 2 for r in rows)
    assert {r["Kommune"] for r in rows} == {"Ringsted", "Køge", "Roskilde"}


def test_shipped_demo_list_matches_the_generator() -> None:
    """lists/demo-virksomheder.csv is what the generator writes (a Danish Excel export)."""
    raw = (REPO / DEMO_LIST).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, as Excel writes it
    with (REPO / DEMO_LIST).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=";")
        assert reader.fieldnames == HEADERS
        assert list(reader) == demo_rows()

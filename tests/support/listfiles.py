"""Big company lists for the import benches: realistic rows written as a Danish CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from phoner.core.demo import HEADERS, demo_rows


def company_rows(n: int) -> list[dict[str, str]]:
    """``n`` companies with unique valid CVRs and realistic phone formats (O(n))."""
    return demo_rows(n, seed=7)


def write_company_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADERS, delimiter=";")
        w.writeheader()
        w.writerows(rows)

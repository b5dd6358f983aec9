"""Call-list import: time per 1,000 rows and the ratio to the floor.

The floor is what no importer can avoid: reading the file (csv module / calamine) and
parsing every phone cell with phonenumbers. Target: the import within 3x of it.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

from phoner.core import campaigns
from phoner.core.db import Database, make_engine
from phoner.core.demo import HEADERS
from phoner.core.lists import importer
from phoner.core.phones import parse_phones
from tests.support.bench import Bench, stopwatch
from tests.support.listfiles import company_rows as _rows
from tests.support.listfiles import write_company_csv as _write_csv

REPO = Path(__file__).resolve().parents[2]


def _write_xlsx(path: Path, rows: list[dict[str, str]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADERS)
    for r in rows:
        ws.append([r[h] for h in HEADERS])
    wb.save(path)


def _floor_csv(path: Path) -> float:
    with stopwatch() as elapsed, path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        header = next(reader)
        i = header.index("Telefon")
        for row in reader:
            parse_phones(row[i])
    return elapsed()


def _floor_xlsx(path: Path) -> float:
    import python_calamine as pc

    with stopwatch() as elapsed:
        wb = pc.CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_index(0).to_python()
        i = rows[0].index("Telefon")
        for row in rows[1:]:
            parse_phones(str(row[i]))
    return elapsed()


def _import(ws: Path, path: Path, name: str) -> float:
    db = Database(make_engine(f"sqlite:///{ws / (name + '.db')}"))
    db.upgrade()
    with db.session(write=True) as s:
        campaigns.create_campaign(session=s, name=name, script=ws / "scripts" / "fleksjob.toml")
    with stopwatch() as elapsed, db.session(write=True) as s:
        camp = campaigns.get_campaign(session=s, name=name)
        summary = importer.import_list(session=s, campaign=camp, path=path)
    assert summary.imported > 0
    db.dispose()
    return elapsed()


def run(bench: Bench) -> None:
    n_csv = bench.size(100_000, 2_000)
    n_xlsx = bench.size(20_000, 500)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        shutil.copytree(REPO / "scripts", ws / "scripts")
        rows = _rows(max(n_csv, n_xlsx))
        csv_path = ws / "liste.csv"
        _write_csv(csv_path, rows[:n_csv])
        floor = _floor_csv(csv_path)
        took = _import(ws, csv_path, "csv")
        per_k = 1000 / n_csv
        bench.figure(
            f"import: floor (csv read + phone parse), {n_csv:,} rows",
            floor * 1000 * per_k,
            "ms/1000 rows",
        )
        bench.figure(
            f"import: CSV list import into SQLite, {n_csv:,} rows",
            took * 1000 * per_k,
            "ms/1000 rows",
            ratio=took / floor,
            ratio_to="floor",
            target="<= 3x floor",
        )
        bench.figure(f"import: CSV list import total, {n_csv:,} rows", took, "s")
        xlsx_path = ws / "liste.xlsx"
        _write_xlsx(xlsx_path, rows[:n_xlsx])
        floor = _floor_xlsx(xlsx_path)
        took = _import(ws, xlsx_path, "xlsx")
        per_k = 1000 / n_xlsx
        bench.figure(
            f"import: floor (calamine read + phone parse), {n_xlsx:,} rows",
            floor * 1000 * per_k,
            "ms/1000 rows",
        )
        bench.figure(
            f"import: XLSX list import into SQLite, {n_xlsx:,} rows",
            took * 1000 * per_k,
            "ms/1000 rows",
            ratio=took / floor,
            ratio_to="floor",
            target="<= 3x floor",
        )

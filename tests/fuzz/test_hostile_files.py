"""Issue 15's hostile files, each through every importer.

The importers: list import, known import, clearing import, outcomes import, consultants
import, visits import. A hostile spreadsheet (a claimed grid of 17 billion cells, a zip
bomb) is refused before it is inflated, with a Danish message naming the file; a CSV with
one hostile line gets that line rejected with its line and column, and the good rows in;
a file with only headers is a Danish refusal, not a silent "0 rows".
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from phoner.core import consultants, outcomes_import, visits
from phoner.core.errors import InvalidInput
from phoner.core.lists import clearing, importer, suppression
from phoner.core.models import Campaign, Company, Consultant, Jobcenter
from tests.support.fuzz import hostile
from tests.support.fuzz.world import Base

# --------------------------------------------------------------------------- importers


@dataclass
class Run:
    read: int
    accepted: int  # rows that went in (imported, merged, recorded, applied)
    rejects: list[tuple[int, str]]


def _list(base: Base, path: Path) -> Run:
    with base.db.session(write=True) as s:
        camp = s.get(Campaign, base.campaign_id)
        assert camp is not None
        r = importer.import_list(session=s, campaign=camp, path=path, write_rejects=False)
    return Run(r.read, r.imported + r.merged_duplicates, [(x.line, x.reason) for x in r.rejects])


def _known(base: Base, path: Path) -> Run:
    with base.db.session(write=True) as s:
        jc = s.exec(select(Jobcenter)).first()
        assert jc is not None
        r = suppression.import_known(session=s, path=path, jobcenter=jc.name)
    return Run(r.read, r.read - len(r.rejects), [(x.line, x.reason) for x in r.rejects])


def _clearing(base: Base, path: Path) -> Run:
    with base.db.session(write=True) as s:
        camp = s.get(Campaign, base.campaign_id)
        assert camp is not None
        r = clearing.clearing_import(session=s, campaign=camp, path=path, by="Karen")
    return Run(r.read, r.changed + r.unchanged, [(x.line, x.reason) for x in r.errors])


def _outcomes(base: Base, path: Path) -> Run:
    r = outcomes_import.import_outcomes(
        db=base.db, path=path, campaign_name=base.campaign_name, rejects_path=path.with_name("u")
    )
    return Run(r.read, r.recorded + r.already_recorded, [(x.line, x.reason) for x in r.rejects])


def _consultants(base: Base, path: Path) -> Run:
    with base.db.session(write=True) as s:
        r = consultants.import_consultants(session=s, path=path)
    accepted = r.created + r.updated + r.unchanged
    return Run(accepted + len(r.rejects), accepted, [(x[0], x[1]) for x in r.rejects])


def _visits(base: Base, path: Path) -> Run:
    with base.db.session(write=True) as s:
        camp = s.get(Campaign, base.campaign_id)
        assert camp is not None
        r = visits.import_visit_results(
            session=s, campaign=camp, path=path, actor="t", rejects_path=path.with_name("v")
        )
    accepted = r.registered + r.updated
    return Run(accepted + len(r.rejects), accepted, [(x.line, x.reason) for x in r.rejects])


@dataclass(frozen=True)
class Importer:
    run: Callable[[Base, Path], Run]
    header: str
    good: Callable[[Base], list[str]]  # three good rows, each ending in the text cell ";ok"


IMPORTERS: dict[str, Importer] = {
    "list": Importer(
        _list,
        "Firmanavn;CVR-nr.;Telefon;Kontaktperson",
        lambda b: [f"Firma {i};{c};3312345{i};ok" for i, c in enumerate(hostile.GOOD_CVRS[:3])],
    ),
    "known": Importer(
        _known, "CVR-nr.;Navn;Note", lambda b: [f"{c};Firma;ok" for c in hostile.GOOD_CVRS[:3]]
    ),
    "clearing": Importer(
        _clearing,
        "CVR-nr.;Beslutning;Begrundelse",
        lambda b: [f"{c};Behold;ok" for c in b.cvrs[:3]],
    ),
    "outcomes": Importer(
        _outcomes, "CVR;Udfald;Note", lambda b: [f"{c};ikke_truffet;ok" for c in b.cvrs[5:8]]
    ),
    "consultants": Importer(
        _consultants,
        "E-mail;Jobcenter;Navn",
        lambda b: [f"k{i}@ringsted.dk;Ringsted;ok" for i in range(3)],
    ),
    "visits": Importer(
        _visits,
        "Booking-id;Mødestatus;Note",
        lambda b: [f"{i};Afholdt;ok" for i in b.booking_ids[:3]],
    ),
}
every_importer = pytest.mark.parametrize("name", list(IMPORTERS))


def _bad_row(importer: Importer, base: Base, second_cell: str) -> str:
    """A row like the good ones (the second good row) whose second cell is hostile."""
    cells = importer.good(base)[1].split(";")
    cells[1] = second_cell
    return ";".join(cells)


def _good_rows(importer: Importer, base: Base) -> list[str]:
    good = importer.good(base)
    return [good[0], good[2]]


# --------------------------------------------------------------------------- spreadsheets

XLSX_BUILDERS = {
    "claimed-grid": (hostile.xlsx_huge_dimension, "angiver området A1:XFD1048576"),
    "far-cell": (hostile.xlsx_far_cell, "1.048.576 rækker × 16.384 kolonner"),
    "zip-bomb": (hostile.xlsx_zip_bomb, "zip-bombe"),
    "lying-sizes": (hostile.xlsx_lying_sizes, "forkert størrelse"),
    "ods-repeated": (hostile.ods_repeated_cells, "gentager sine celler"),
    "xls-broken": (hostile.xls_broken_header, "beskadiget .xls-fil"),
}


@every_importer
@pytest.mark.parametrize("kind", list(XLSX_BUILDERS))
def test_hostile_xlsx_is_refused_before_it_is_inflated(base: Base, name: str, kind: str) -> None:
    build, words = XLSX_BUILDERS[kind]
    path = build(base.folder)
    assert path.stat().st_size < 200_000  # small on disk, enormous when believed
    with pytest.raises(InvalidInput) as caught:
        IMPORTERS[name].run(base, path)
    assert str(path) in caught.value.message
    assert words in caught.value.message
    assert "gem" in (caught.value.hint or "")


def test_zip_bomb_builder_is_a_bomb(tmp_path: Path) -> None:
    assert hostile.deflate_ratio(hostile.xlsx_zip_bomb(tmp_path, 20)) > 500


def test_claimed_grid_does_not_abort_the_cli(tmp_path: Path) -> None:
    """The abort (exit 134) killed the process: seen from outside, in a child process."""
    path = hostile.xlsx_huge_dimension(tmp_path)
    code = (
        "import sys; from phoner.formats.tabular import read_table\n"
        "from phoner.core.errors import PhonerError\n"
        "try: read_table(sys.argv[1])\n"
        "except PhonerError as e: print(e.message); sys.exit(3)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "A1:XFD1048576" in proc.stdout


def test_archive_total_inflated_size_is_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phoner.formats import archive_guard
    from phoner.formats.tabular import read_table

    monkeypatch.setattr(archive_guard, "MAX_INFLATED", 4096)
    path = tmp_path / "liste.xlsx"
    path.write_bytes(
        hostile._xlsx_bytes([["Firmanavn", "Telefon"], *[[f"F{i}", "33123456"] for i in range(99)]])
    )
    with pytest.raises(InvalidInput, match="pakket ud; phoner læser højst"):
        read_table(path)


def test_a_plain_workbook_still_reads(tmp_path: Path) -> None:
    from phoner.formats.tabular import read_table

    path = tmp_path / "liste.xlsx"
    path.write_bytes(hostile._xlsx_bytes(hostile._sample_rows()))
    assert read_table(path).rows[0].cells == ["Bager Hansen ApS", "12345674", "33123456"]


def test_ods_cells_are_counted_with_their_repeats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1000 x 1000 repeat is a million cells calamine builds (140 MB) from 1 KB; with
    the cap at 100,000 it is refused, while a huge empty repeated area (which calamine
    skips, as LibreOffice writes for formatted columns) and a plain sheet still read."""
    from phoner.formats import archive_guard
    from phoner.formats.tabular import read_table

    monkeypatch.setattr(archive_guard, "MAX_CELLS", 100_000)
    bomb = hostile.ods_repeated_cells(tmp_path, rows=1000, cols=1000)
    assert bomb.stat().st_size < 2000
    with pytest.raises(InvalidInput, match="gentager sine celler") as caught:
        read_table(bomb)
    assert str(bomb) in caught.value.message
    plain = tmp_path / "liste.ods"
    empty = (
        '<table:table-row table:number-rows-repeated="1048573">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    plain.write_bytes(hostile.ods_bytes(hostile.ods_rows(hostile._sample_rows()) + empty))
    assert read_table(plain).rows[0].cells == ["Bager Hansen ApS", "12345674", "33123456"]


def test_a_too_large_xls_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phoner.formats import archive_guard
    from phoner.formats.tabular import read_table

    path = hostile.xls_broken_header(tmp_path)
    monkeypatch.setattr(archive_guard, "MAX_XLS_BYTES", 1024)
    with pytest.raises(InvalidInput, match="phoner læser højst") as caught:
        read_table(path)
    assert str(path) in caught.value.message and ".xls" in caught.value.message


# --------------------------------------------------------------------------- CSV lines


def _assert_one_reject(run: Run, line: int, *words: str) -> None:
    assert run.read == 3, run
    assert run.accepted == 2, run
    assert [ln for ln, _ in run.rejects] == [line], run
    reason = run.rejects[0][1]
    for w in words:
        assert w in reason, reason


@every_importer
def test_one_field_over_the_csv_limit_rejects_only_its_row(base: Base, name: str) -> None:
    imp = IMPORTERS[name]
    good = _good_rows(imp, base)
    path = hostile.csv_lines(
        base.folder, "lang.csv", imp.header, _bad_row(imp, base, "x" * 140_000), good
    )
    column = imp.header.split(";")[1]
    _assert_one_reject(imp.run(base, path), 3, repr(column), "32.767 tegn")


@every_importer
def test_a_nul_byte_rejects_only_its_row(base: Base, name: str) -> None:
    imp = IMPORTERS[name]
    good = _good_rows(imp, base)
    path = hostile.csv_lines(
        base.folder, "nul.csv", imp.header, _bad_row(imp, base, "a\x00b"), good
    )
    column = imp.header.split(";")[1]
    _assert_one_reject(imp.run(base, path), 3, repr(column), "NUL-tegn")


@every_importer
def test_an_unterminated_quote_rejects_its_line_and_not_the_next(base: Base, name: str) -> None:
    imp = IMPORTERS[name]
    good = _good_rows(imp, base)
    bad = '"' + imp.good(base)[1]  # the quote opens the first cell and is never closed
    path = hostile.csv_lines(base.folder, "citat.csv", imp.header, bad, good)
    column = imp.header.split(";")[0]
    _assert_one_reject(imp.run(base, path), 3, repr(column), "anførselstegn", "lukkes ikke")


@every_importer
def test_a_header_only_file_is_refused_in_danish(base: Base, name: str) -> None:
    imp = IMPORTERS[name]
    path = hostile.csv_header_only(base.folder, imp.header)
    with pytest.raises(InvalidInput, match="kun kolonneoverskrifterne") as caught:
        imp.run(base, path)
    assert str(path) in caught.value.message


@every_importer
def test_a_cp1252_line_in_a_utf8_file_is_not_mojibake(base: Base, name: str) -> None:
    imp = IMPORTERS[name]
    good = [g.removesuffix(";ok") + ";Ærø" for g in _good_rows(imp, base)]
    bad = imp.good(base)[1].removesuffix(";ok") + ";Søren"
    path = hostile.csv_mixed_encoding(base.folder, imp.header, good, bad)
    run = imp.run(base, path)
    assert (run.read, run.accepted, run.rejects) == (3, 3, [])


def test_mixed_encoding_names_are_stored_as_written(base: Base) -> None:
    header = "Firmanavn;Telefon;Kontaktperson"
    good = ["Ærø Bageri;33123450;Åse", "Køge Is;33123452;Øjvind"]
    path = hostile.csv_mixed_encoding(base.folder, header, good, "Søren ApS;33123451;Søren")
    assert _list(base, path).accepted == 3
    with base.db.session() as s:
        names = set(s.exec(select(Company.name)).all())
        contacts = set(s.exec(select(Company.contact_person)).all())
    assert {"Ærø Bageri", "Søren ApS", "Køge Is"} <= names
    assert {"Åse", "Søren", "Øjvind"} <= contacts
    assert not any("Ã" in (n or "") for n in names | contacts)


def test_mixed_encoding_consultant_name(base: Base) -> None:
    path = hostile.csv_mixed_encoding(
        base.folder,
        "E-mail;Jobcenter;Navn",
        ["a@ringsted.dk;Ringsted;Åse"],
        "s@ringsted.dk;Ringsted;Søren Ørsted",
    )
    assert _consultants(base, path).accepted == 2
    with base.db.session() as s:
        names = set(s.exec(select(Consultant.name)).all())
    assert {"Åse", "Søren Ørsted"} <= names

"""Industry codes: a Branche cell in any DB07 spelling is stored as the code's digits and
the name; targeting by code prefix (dotted or not) keeps working."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from phoner.core import campaigns
from phoner.core.db import Database
from phoner.core.lists import importer, targeting
from phoner.core.lists.import_plan import ImportSummary
from phoner.core.lists.records import parse_industry, split_industry
from phoner.core.models import Company
from tests.support import builders
from tests.support.lists import A, B, C, D, E, F

TOMRER = "Tømrer- og bygningssnedkervirksomhed"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (f"43.32.00 {TOMRER}", (TOMRER, "433200")),
        ("10.71.00 Bagerier", ("Bagerier", "107100")),
        (f"433200 {TOMRER}", (TOMRER, "433200")),
        (f"433200 - {TOMRER}", (TOMRER, "433200")),
        (f"43.32.00: {TOMRER}", (TOMRER, "433200")),
        ("43.32.00", (None, "433200")),
        ("433200", (None, "433200")),
        ("43.32 Tømrere", ("Tømrere", "4332")),
        ("43 Bygge og anlæg", ("Bygge og anlæg", "43")),
        ("11100", (None, "011100")),  # a number cell lost the leading zero of 01.11.00
        (TOMRER, (TOMRER, None)),
        ("3M Danmark", ("3M Danmark", None)),
        ("1234567 Syv cifre", ("1234567 Syv cifre", None)),
    ],
)
def test_split_industry_reads_every_db07_spelling(
    cell: str, expected: tuple[str | None, str | None]
) -> None:
    assert split_industry(cell) == expected


def test_the_branchekode_column_wins_and_is_cut_from_the_name() -> None:
    assert parse_industry(f"43.32.00 {TOMRER}", "433200") == (TOMRER, "433200")
    assert parse_industry(TOMRER, "43.32.00") == (TOMRER, "433200")
    assert parse_industry("", f"43.32.00 {TOMRER}") == (TOMRER, "433200")
    assert parse_industry("Bagerier", "") == ("Bagerier", None)
    assert parse_industry("Bagerier", "bager") is None


def _import(db: Database, tmp_path: Path, text: str) -> ImportSummary:
    path = tmp_path / "liste.csv"
    path.write_text(text, encoding="utf-8")
    with db.session(write=True) as s:
        camp = builders.campaign(s)
        return importer.import_list(session=s, campaign=camp, path=path, jobcenter="Køge")


def _industries(db: Database) -> dict[str | None, tuple[str | None, str | None]]:
    with db.session() as s:
        return {c.cvr: (c.industry, c.industry_code) for c in s.exec(select(Company)).all()}


def test_import_stores_code_and_name_for_every_form(db: Database, tmp_path: Path) -> None:
    summary = _import(
        db,
        tmp_path,
        "Navn;CVR;Telefon;Branche\n"
        f"Tømrer 1;{A};33 12 34 56;43.32.00 {TOMRER}\n"
        f"Bager;{B};33 12 34 57;10.71.00 Bagerier\n"
        f"Tømrer 2;{C};33 12 34 58;433200 {TOMRER}\n"
        f"Tømrer 3;{D};33 12 34 59;43.32.00\n"
        f"Navnløs;{E};33 12 34 60;{TOMRER}\n",
    )
    assert (summary.imported, summary.rejected) == (5, 0)
    assert _industries(db) == {
        A: (TOMRER, "433200"),
        B: ("Bagerier", "107100"),
        C: (TOMRER, "433200"),
        D: (None, "433200"),
        E: (TOMRER, None),
    }


def test_branchekode_column_next_to_branche_text(db: Database, tmp_path: Path) -> None:
    summary = _import(
        db,
        tmp_path,
        "Navn;CVR;Telefon;Branche;Branchekode\n"
        f"Tømrer 1;{A};33 12 34 56;43.32.00 {TOMRER};433200\n"
        f"Tømrer 2;{B};33 12 34 57;{TOMRER};43.32.00\n"
        f"Bager;{C};33 12 34 58;;107100\n"
        f"Forkert;{D};33 12 34 59;Bagerier;bager\n",
    )
    assert (summary.imported, summary.rejected) == (3, 1)
    assert summary.rejects[0].line == 5
    assert summary.rejects[0].reason == (
        "Ugyldig branchekode 'bager' i kolonnen 'Branchekode' "
        "(skriv DB07-koden, fx 43.32.00 eller 433200)"
    )
    assert _industries(db) == {
        A: (TOMRER, "433200"),
        B: (TOMRER, "433200"),
        C: (None, "107100"),
    }


@pytest.mark.parametrize("prefix", ["43", "43.32", "4332", "43.32.00"])
def test_targeting_by_prefix_keeps_working(db: Database, tmp_path: Path, prefix: str) -> None:
    _import(
        db,
        tmp_path,
        "Navn;CVR;Telefon;Branche\n"
        f"Tømrer;{A};33 12 34 56;43.32.00 {TOMRER}\n"
        f"Tømrer 2;{B};33 12 34 57;433200 {TOMRER}\n"
        f"Bager;{C};33 12 34 58;10.71.00 Bagerier\n"
        f"VVS;{F};33 12 34 59;43.22.00 VVS-installation\n",
    )
    with db.session(write=True) as s:
        camp = campaigns.get_campaign(session=s, name="Test")
        targeting.set_targeting(session=s, campaign=camp, actor="t", industries=[prefix])
        targeting.refresh_list(session=s, campaign=camp)
        out = {c.cvr: c.out_of_target for c in s.exec(select(Company)).all()}
    assert out[A] is None and out[B] is None
    assert out[C] == "branchekode 107100 er ikke i målgruppen"
    if prefix == "43":
        assert out[F] is None
    else:
        assert out[F] == "branchekode 432200 er ikke i målgruppen"

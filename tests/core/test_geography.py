"""Municipalities and RAR areas: all 98, every spelling a list may use, garbage refused."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from phoner.core.geography import (
    MUNICIPALITIES,
    NO_AREA,
    RAR_2015,
    RAR_AREAS,
    RBR_2025,
    SCHEMES,
    closest_municipality,
    jobcenter_code,
    municipality_code,
    municipality_name,
    rar_area,
    scheme_on,
)


def test_98_municipalities_in_the_8_rar_areas() -> None:
    assert len(MUNICIPALITIES) == 98
    assert {area for _code, area in MUNICIPALITIES.values()} == set(RAR_AREAS)
    assert len({code for code, _area in MUNICIPALITIES.values()}) == 98
    assert rar_area("Bornholm") == "Bornholm"
    assert sum(1 for _c, a in MUNICIPALITIES.values() if a == "Hovedstaden") == 28
    assert sum(1 for _c, a in MUNICIPALITIES.values() if a == "Sjælland") == 17


def test_spellings_and_codes() -> None:
    assert municipality_name("Århus Kommune") == "Aarhus"
    assert municipality_name("KØBENHAVNS KOMMUNE") == "København"
    assert municipality_name("Jobcenter Høje Taastrup") == "Høje-Taastrup"
    assert municipality_name(" 329 ") == "Ringsted"
    assert municipality_name(329) == "Ringsted"
    assert municipality_code("Ringsted") == 329
    assert rar_area("Ringsted") == "Sjælland"
    assert rar_area("Aalborg") == "Nordjylland"


def test_unknown_and_odd_input_falls_in_no_area() -> None:
    assert rar_area(None) == NO_AREA
    assert rar_area("Atlantis") == NO_AREA
    assert rar_area("³²¹") == NO_AREA  # digits that int() refuses
    assert rar_area("9" * 5000) == NO_AREA


@given(st.text())
def test_any_text_gives_an_area(text: str) -> None:
    assert rar_area(text) in {*RAR_AREAS, NO_AREA}
    found = closest_municipality(text)
    assert found is None or found in MUNICIPALITIES


def test_the_five_regions_of_2025_hold_all_98_municipalities() -> None:
    by_region: dict[str, set[str]] = {a: set() for a in RBR_2025.areas}
    for name, (code, _rar) in MUNICIPALITIES.items():
        by_region[RBR_2025.area(code)].add(name)
    assert {r: len(m) for r, m in by_region.items()} == {
        "Nordjylland": 11,
        "Midtjylland": 19,
        "Syddanmark": 22,
        "Sjælland": 17,
        "Hovedstaden": 29,
    }
    assert "Bornholm" in by_region["Hovedstaden"]  # its own RAR area until 2024
    assert {"Hedensted", "Samsø", "Skive"} <= by_region["Midtjylland"]
    assert {"Ærø", "Fanø", "Vejle"} <= by_region["Syddanmark"]
    assert {"Greve", "Solrød", "Lolland"} <= by_region["Sjælland"]
    assert municipality_name("Christiansø") is None  # administered by the state


def test_every_rar_area_lies_in_one_region() -> None:
    """The 8 RAR areas of 2015 split the 5 regions: each lies inside one of them."""
    regions: dict[str, set[str]] = {a: set() for a in RAR_2015.areas}
    for code, rar in RAR_2015.by_code.items():
        regions[rar].add(RBR_2025.area(code))
    assert {rar: r.pop() for rar, r in regions.items() if len(r) == 1} == {
        "Nordjylland": "Nordjylland",
        "Vestjylland": "Midtjylland",
        "Østjylland": "Midtjylland",
        "Fyn": "Syddanmark",
        "Sydjylland": "Syddanmark",
        "Bornholm": "Hovedstaden",
        "Hovedstaden": "Hovedstaden",
        "Sjælland": "Sjælland",
    }


def test_the_scheme_in_force_on_a_day() -> None:
    assert scheme_on(dt.date(2015, 8, 1)) is RAR_2015
    assert scheme_on(dt.date(2024, 12, 31)) is RAR_2015
    assert scheme_on(dt.date(2025, 1, 1)) is RBR_2025
    assert scheme_on(dt.date(2031, 6, 1)) is RBR_2025
    assert scheme_on(dt.date(2006, 5, 1)) is RAR_2015  # before any: the oldest
    assert list(SCHEMES) == ["rar-2015", "rbr-2025"]
    assert RAR_2015.area(400) == "Bornholm" and RBR_2025.area(400) == "Hovedstaden"
    assert RBR_2025.area(None) == NO_AREA and RBR_2025.area(999) == NO_AREA


def test_a_typo_finds_the_municipality_and_a_stranger_finds_none() -> None:
    assert closest_municipality("Kobenhvn") == "København"
    assert closest_municipality("Roskilds Kommune") == "Roskilde"
    assert closest_municipality("Vordingbrog") == "Vordingborg"
    for text in ("Jobservice Danmark", "Atlantis", "Mødebookerne ApS", "", "x", "9" * 500):
        assert closest_municipality(text) is None


def test_a_jobcenters_code_from_its_code_or_its_name() -> None:
    assert jobcenter_code(259, None) == 259
    assert jobcenter_code(None, "Køge") == 259
    assert jobcenter_code(None, None) is None
    assert jobcenter_code(4242, "Køge") is None  # not a municipality code

"""Municipalities and RAR areas: all 98, every spelling a list may use, garbage refused."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from phoner.core.geography import (
    MUNICIPALITIES,
    NO_AREA,
    RAR_AREAS,
    municipality_code,
    municipality_name,
    rar_area,
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

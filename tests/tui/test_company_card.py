"""The company card's text (a pure function of the card read model)."""

from __future__ import annotations

import pytest

from phoner.core.queue.card import CompanyCard, CompanyView
from phoner.tui.i18n import set_language
from phoner.tui.widgets.company_card import card_text


def _card(employees: int | None) -> CompanyCard:
    company = CompanyView(
        id=1,
        name="Bager A",
        cvr=None,
        phones=(),
        contact_person=None,
        email=None,
        address=None,
        postcode=None,
        city=None,
        municipality=None,
        employees=employees,
        industry=None,
        industry_code=None,
        flags=(),
        attempts=0,
    )
    return CompanyCard(
        company=company,
        campaign_name="Efterår",
        jobcenter_name=None,
        round_number=None,
        attempts=[],
        clearing_notes=[],
        wrong_numbers=0,
    )


@pytest.mark.parametrize(
    ("lang", "employees", "expected", "wrong"),
    [
        ("da", 1, "1 ansat", "1 ansatte"),
        ("da", 2, "2 ansatte", None),
        ("da", 0, "0 ansatte", None),
        ("en", 1, "1 employee", "1 employees"),
    ],
)
def test_employee_count_is_singular_for_one(
    lang: str, employees: int, expected: str, wrong: str | None
) -> None:
    """The card said "1 ansatte"."""
    set_language(lang)
    try:
        text = card_text(_card(employees)).plain
    finally:
        set_language("da")
    assert expected in text
    if wrong:
        assert wrong not in text

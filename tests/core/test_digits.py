"""The one rule for digit fields: any script's digits read as ASCII, or the row refused."""

from __future__ import annotations

import pytest

from phoner.core.digits import ascii_digits, count_problem, is_ascii_number
from phoner.core.phones import cvr_is_valid, normalize_cvr, parse_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345674", "12345674"),
        ("²²²²²²²²", "22222222"),
        ("١٢٣٤٥٦٧٤", "12345674"),  # Arabic-Indic
        ("۱۲۳۴۵۶۷۴", "12345674"),  # Extended Arabic-Indic (Persian)
        ("１２３４５６７４", "12345674"),  # full-width
        ("१२३", "123"),  # Devanagari
        ("−5", "-5"),  # minus sign
        ("10–19", "10-19"),  # en dash
        ("DK-１２ ３４", "DK-12 34"),
        ("Søren", "Søren"),
    ],
)
def test_ascii_digits(text: str, expected: str) -> None:
    assert ascii_digits(text) == expected


def test_is_ascii_number_is_not_isdigit() -> None:
    assert "²".isdigit() and not is_ascii_number("²")
    assert "١".isdigit() and not is_ascii_number("١")
    assert is_ascii_number("0123") and not is_ascii_number("")


def test_cvr_in_any_digits_is_one_cvr() -> None:
    for written in ("12345674", "١٢٣٤٥٦٧٤", "１２３４５６７４", "DK ١٢ ٣٤ ٥٦ ٧٤"):
        assert normalize_cvr(written) == "12345674"
    assert normalize_cvr("²²²²²²²²") == "22222222"
    assert not cvr_is_valid("22222222")
    # was: "²".isdigit() is True and int("²") raised ValueError
    assert not cvr_is_valid("²²²²²²²²")
    assert not cvr_is_valid("١٢٣٤٥٦٧٤")  # valid only once normalised


def test_phone_in_full_width_digits() -> None:
    assert parse_phone("３３ １２ ３４ ５６") == "+4533123456"


@pytest.mark.parametrize(
    ("text", "refused"),
    [("5", False), ("10-19", False), ("ca. 20", False), ("ukendt", False), ("١٢", False)],
)
def test_count_problem_accepts_counts(text: str, refused: bool) -> None:
    assert (count_problem(text, "Antal ansatte") is not None) is refused


@pytest.mark.parametrize("text", ["-5", "−5", " − 5", "1e309", "2E5", "1.5e3"])
def test_count_problem_refuses_malformed_numbers(text: str) -> None:
    reason = count_problem(text, "Antal ansatte")
    assert reason is not None and reason.startswith(f"Antal ansatte {text!r}")

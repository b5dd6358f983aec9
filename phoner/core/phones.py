"""Danish phone numbers and CVR numbers: parse, validate, format.

phonenumbers does the parsing (default region DK); this module adds what it does not:
splitting a cell that holds several numbers, and the CVR modulus-11 check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from phoner.core.digits import ascii_digits, is_ascii_number

DEFAULT_REGION = "DK"
_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
# Separators between several numbers in one cell. A single space or dash is *not* one:
# it also separates digit groups ("33 12 34 56").
_SPLIT = re.compile(r"\s*(?:[;/|,\n]|\s{2,}|\beller\b|\bog\b|\bor\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class PhoneParse:
    """The outcome of parsing one cell: valid numbers (E.164, in order) and bad pieces."""

    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def primary(self) -> str | None:
        return self.valid[0] if self.valid else None


def parse_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """One number as E.164, or None if it is not a valid phone number."""
    text = ascii_digits(text).strip()
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        num = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, PhoneNumberFormat.E164)


def parse_phones(cell: str | None, region: str = DEFAULT_REGION) -> PhoneParse:
    """All numbers in a cell (``"33 12 34 56 / 40 11 22 33"``), de-duplicated, in order."""
    result = PhoneParse()
    if not cell or not str(cell).strip():
        return result
    for piece in _SPLIT.split(ascii_digits(str(cell))):
        piece = piece.strip(" .-")
        if not piece:
            continue
        e164 = parse_phone(piece, region)
        if e164 is None:
            result.invalid.append(piece)
        elif e164 not in result.valid:
            result.valid.append(e164)
    return result


def format_phone(e164: str) -> str:
    """Danish numbers in national format (``33 12 34 56``), others internationally."""
    try:
        num = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if num.country_code == 45:
        return phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)


def normalize_cvr(text: str | None) -> str | None:
    """Digits of a CVR cell ("DK 12 34 56 78" -> "12345678"); None if empty."""
    if text is None:
        return None
    s = ascii_digits(str(text)).strip().upper()
    if s.endswith(".0"):  # a number that went through Excel as a float
        s = s[:-2]
    s = s.removeprefix("DK")
    digits = re.sub(r"[\s.\-]", "", s)
    return digits or None


def cvr_is_valid(cvr: str) -> bool:
    """8 digits, first not 0, weighted sum (2,7,6,5,4,3,2,1) divisible by 11."""
    if len(cvr) != 8 or not is_ascii_number(cvr) or cvr[0] == "0":
        return False
    return sum(int(d) * w for d, w in zip(cvr, _CVR_WEIGHTS, strict=True)) % 11 == 0


def cvr_check_digit(first7: str) -> int | None:
    """The 8th digit that makes ``first7`` a valid CVR, or None if no digit does."""
    partial = sum(int(d) * w for d, w in zip(first7, _CVR_WEIGHTS[:7], strict=True))
    digit = (-partial) % 11
    return digit if digit < 10 else None

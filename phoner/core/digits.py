"""Digits in the fields users hand us, as ASCII: one rule for every digit field.

A CVR, P-number, phone number, postcode or count typed (or pasted) in superscript
(``"²²²²²²²²"``), full-width (``"１２３"``) or Arabic-Indic (``"١٢٣"``) digits is the same
number as in ASCII digits. ``str.isdigit()`` accepts all of them, ``int()`` some of them
(not ``"²"``), and a stored ``"١٢٣٤٥٦٧٤"`` is a different company from ``"12345674"``.
So every place that parses such a field first calls :func:`ascii_digits` (NFKC, then any
remaining digit of another script as its ASCII digit, and the dashes that look like a
minus as ``-``), and checks with :func:`is_ascii_number`, never ``str.isdigit()`` alone.

:func:`count_problem` says in Danish why a count cell is a malformed number (negative,
``1e309``) instead of letting a regex pick the first digits out of it (``"−5"`` -> 5).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ascii_digits", "count_problem", "is_ascii_number"]

# Dashes a spreadsheet or a word processor puts where a minus or a range dash was meant.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d", "-"))
_NEGATIVE = re.compile(r"^\s*-\s*\d")
_EXPONENT = re.compile(r"\d\s*[eE]\s*[+-]?\s*\d")


def ascii_digits(text: str) -> str:
    """``text`` with every digit as ASCII 0-9 and minus-like dashes as ``-``.

    ``"²²"`` -> ``"22"``, ``"１２"`` -> ``"12"``, ``"١٢"`` -> ``"12"``, ``"−5"`` -> ``"-5"``.
    Other characters are kept (NFKC-normalised), so the caller still sees letters and
    separators and decides what they mean.
    """
    if text.isascii():
        return text
    s = unicodedata.normalize("NFKC", text).translate(_DASHES)
    if s.isascii():
        return s
    out = []
    for ch in s:
        if not ch.isascii():
            value = unicodedata.digit(ch, None)
            if value is not None:
                ch = str(value)
        out.append(ch)
    return "".join(out)


def is_ascii_number(text: str) -> bool:
    """Only ASCII digits 0-9 (and at least one): what ``str.isdigit()`` is mistaken for."""
    return text.isascii() and text.isdigit()


def count_problem(text: str, label: str) -> str | None:
    """The Danish reason a count cell (employees, places) is a malformed number, or None.

    None also for a cell that is no number at all ("ukendt"): the caller keeps that as
    text. Refused: a negative number (``"-5"``, ``"−5"``) and exponent notation
    (``"1e309"``), which a digit search would have read as 5 and 1.
    """
    s = ascii_digits(text).strip()
    if _NEGATIVE.match(s):
        return f"{label} {text!r} er negativt (skriv et antal, fx 12)"
    if _EXPONENT.search(s):
        return f"{label} {text!r} er ikke et antal (skriv et helt tal, fx 12)"
    return None

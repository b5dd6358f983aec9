"""The columns of a call list and the typed record one row becomes.

A :class:`CompanyRecord` holds exactly the :class:`~phoner.core.models.Company` columns an
import sets (its field names are the column names: the bulk insert relies on it). Values
are already normalised: phones are E.164 and de-duplicated with the primary first, CVR
and P-number are digits, text is trimmed and cut to the column's length, ``flags`` is
sorted. The cell parsers here are pure (no session).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from phoner.core.digits import ascii_digits
from phoner.core.models import Company

#: Field -> header aliases (Danish and English). Matching ignores case, spaces,
#: punctuation and æøå spelling (see :func:`phoner.formats.tabular.normalize_header`).
FIELD_ALIASES: dict[str, list[str]] = {
    "name": ["Firmanavn", "Navn", "Virksomhed", "Virksomhedsnavn", "Firma", "Name", "Company"],
    "cvr": ["CVR", "CVR-nr.", "CVR-nummer", "CVRnr", "CVR no", "VAT"],
    "p_number": ["P-nr.", "P-nummer", "Pnr", "P-number", "Produktionsenhed"],
    "phone": [
        "Telefon",
        "Tlf.",
        "Tlf.nr.",
        "Telefonnummer",
        "Telefonnr",
        "Mobil",
        "Mobilnummer",
        "Mobiltelefon",
        "Phone",
        "Telephone",
        "Tel",
    ],
    "contact_person": ["Kontaktperson", "Kontakt", "Contact", "Contact person"],
    "address": ["Adresse", "Vejadresse", "Address", "Street"],
    "postcode": ["Postnr.", "Postnummer", "Post nr", "Zip", "Postal code", "Postcode"],
    "city": ["By", "Postdistrikt", "City", "Town"],
    "municipality": ["Kommune", "Kommunenavn", "Jobcenter", "Municipality"],
    "industry": ["Branche", "Branchetekst", "Branchebetegnelse", "Industry"],
    "industry_code": ["Branchekode", "Branchenr", "DB07", "Industry code", "NACE"],
    "employees": [
        "Antal ansatte",
        "Ansatte",
        "Antal medarbejdere",
        "Medarbejdere",
        "Employees",
        "Årsværk",
    ],
    "email": ["E-mail", "Email", "Mail", "E-mailadresse"],
    "ad_protected": ["Reklamebeskyttet", "Reklamebeskyttelse", "Ad protected"],
    "round": ["Runde", "Omgang", "Udsendelse", "Round"],
}
#: Danish column names for messages and exports.
FIELD_LABELS: dict[str, str] = {
    "name": "Firmanavn",
    "cvr": "CVR-nr.",
    "p_number": "P-nr.",
    "phone": "Telefon",
    "contact_person": "Kontaktperson",
    "address": "Adresse",
    "postcode": "Postnr.",
    "city": "By",
    "municipality": "Kommune",
    "industry": "Branche",
    "industry_code": "Branchekode",
    "employees": "Antal ansatte",
    "email": "E-mail",
    "ad_protected": "Reklamebeskyttet",
    "round": "Runde",
}
#: Flags an import can set, with their Danish labels.
FLAG_LABELS: dict[str, str] = {
    "mangler_cvr": "Mangler CVR",
    "delt_telefon": "Samme telefon som en anden virksomhed",
    "udenlandsk_nummer": "Udenlandsk telefonnummer",
    "ugyldigt_ekstranummer": "Et af numrene er ugyldigt",
    "mangler_jobcenter": "Ukendt kommune (intet jobcenter)",
}
#: The plain fields a merge fills when empty (phones, flags, extra, ad_protected merge
#: by their own rules, see :func:`phoner.core.lists.dedupe.merge`).
MERGE_FIELDS = (
    "name",
    "cvr",
    "p_number",
    "contact_person",
    "email",
    "address",
    "postcode",
    "city",
    "municipality",
    "industry",
    "industry_code",
    "employees",
    "jobcenter_id",
    "round_id",
)
_TRUE_WORDS = frozenset({"ja", "j", "yes", "y", "x", "1", "true", "sand", "reklamebeskyttet"})
_INT = re.compile(r"\d+")
#: A DB07 industry code at the start of a cell: dotted (``43``, ``43.3``, ``43.32``,
#: ``43.32.00``) or plain (``433200``), then the name after a space, dash or colon.
_CODE_AND_TEXT = re.compile(
    r"^\s*(\d{2}(?:\.\d{1,2}(?:\.\d{2})?)?|\d{2,6})(?=$|[\s\-–:])\s*[-–:]?\s*(.*)$",
    re.DOTALL,
)


@dataclass(slots=True)
class CompanyRecord:
    """One company as the import builds it, before it becomes (or merges into) a row."""

    name: str
    cvr: str | None
    p_number: str | None
    phones: list[str]
    contact_person: str | None = None
    email: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    municipality: str | None = None
    industry: str | None = None
    industry_code: str | None = None
    employees: int | None = None
    ad_protected: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    jobcenter_id: int | None = None
    round_id: int | None = None

    @classmethod
    def from_company(cls, c: Company) -> CompanyRecord:
        """The record of a company already on the list (lists and dicts copied)."""
        return cls(
            name=c.name,
            cvr=c.cvr,
            p_number=c.p_number,
            phones=list(c.phones),
            contact_person=c.contact_person,
            email=c.email,
            address=c.address,
            postcode=c.postcode,
            city=c.city,
            municipality=c.municipality,
            industry=c.industry,
            industry_code=c.industry_code,
            employees=c.employees,
            ad_protected=c.ad_protected,
            extra=dict(c.extra),
            flags=list(c.flags),
            jobcenter_id=c.jobcenter_id,
            round_id=c.round_id,
        )

    def copy(self) -> CompanyRecord:
        """A copy whose lists and dicts are not shared with this one."""
        return dataclasses.replace(
            self, phones=list(self.phones), flags=list(self.flags), extra=dict(self.extra)
        )

    def changes(self, old: CompanyRecord) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(old values, new values)`` of the fields where this record differs from ``old``."""
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for name in COLUMNS:
            a, b = getattr(old, name), getattr(self, name)
            if a != b:
                before[name], after[name] = a, b
        return before, after


#: The record's fields in declaration order: the columns the bulk insert writes.
COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(CompanyRecord))


def parse_employees(text: str) -> int | None:
    """``"12"``, ``"ca. 12"``, ``"10-19"`` (lower bound), ``"1.200"`` -> int or None."""
    text = ascii_digits(text).strip().replace(".", "").replace("\xa0", "")
    m = _INT.search(text)
    # more than 9 digits is no head count (and would overflow the column)
    return int(m.group()) if m and len(m.group()) <= 9 else None


def parse_round(text: str) -> int | None:
    """``"1"``, ``"Runde 2"`` -> the round number; None when it is no number from 1."""
    m = _INT.search(ascii_digits(text))
    if m is None or len(m.group()) > 6 or int(m.group()) < 1:
        return None
    return int(m.group())


def parse_truthy(text: str) -> bool:
    """A yes-cell (``ja``, ``x``, ``1``, ``Reklamebeskyttet``, ...)."""
    return text.strip().lower() in _TRUE_WORDS


def parse_p_number(text: str) -> str | None:
    """The digits of a P-number cell (``"1.234.567.890"``, ``"1234567890.0"``)."""
    digits = re.sub(r"[\s.\-]", "", ascii_digits(text).strip())
    if digits.endswith("0") and text.strip().endswith(".0"):
        digits = digits[:-1]
    return digits or None


def split_industry(text: str) -> tuple[str | None, str | None]:
    """A Branche cell as ``(name, code)``, the code as DB07 digits.

    ``"43.32.00 Tømrer- og bygningssnedkervirksomhed"`` and ``"433200 Tømrer- og ..."`` ->
    ``("Tømrer- og bygningssnedkervirksomhed", "433200")``; the bare code ``"43.32.00"`` ->
    ``(None, "433200")``; a cell without a leading code -> ``(text, None)``.
    """
    m = _CODE_AND_TEXT.match(text)
    if m is None:
        return (text.strip() or None, None)
    return (m.group(2).strip() or None, _db07_digits(ascii_digits(m.group(1))))


def parse_industry(text: str, code_cell: str) -> tuple[str | None, str | None] | None:
    """The ``(name, code)`` of a row's Branche and Branchekode cells; None when the
    Branchekode cell holds no DB07 code.

    The Branchekode column wins over a code written in the Branche text, and the code is
    cut from the name either way (``"43.32.00 Tømrer..."`` next to ``433200``)."""
    name, code = split_industry(text) if text else (None, None)
    if code_cell:
        cell_name, cell_code = split_industry(code_cell)
        if cell_code is None:
            return None
        code = cell_code
        name = name or cell_name
    return name, code


def _db07_digits(code: str) -> str:
    digits = code.replace(".", "")
    # no DB07 level has five digits: a number cell lost the leading zero of 01.11.00
    return digits.zfill(6) if len(digits) == 5 and "." not in code else digits

"""Municipalities (jobcenter = municipality) and the areas reports group them in.

The 98 municipalities with their official 3-digit municipality codes, and the two area
schemes Danish employment policy has used (:data:`SCHEMES`), each with its municipalities
and the dates it was in force:

- ``rar-2015``: the 8 regionale arbejdsmarkedsråd (RAR), 1 January 2015 – 31 December 2024;
- ``rbr-2025``: the 5 regionale beskæftigelsesråd, one per region, from 1 January 2025
  (lov nr. 1656 af 30. december 2024).

Reports group visits and agreements by the areas of one scheme (:func:`scheme_on` picks
the one in force on a date); a jobcenter whose municipality is unknown, or a unit that is
not a municipality (Jobservice Danmark, a phoning contractor), falls in :data:`NO_AREA`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass

RAR_AREAS: tuple[str, ...] = (
    "Nordjylland",
    "Vestjylland",
    "Østjylland",
    "Fyn",
    "Sydjylland",
    "Bornholm",
    "Hovedstaden",
    "Sjælland",
)
NO_AREA = "Ikke fordelt"

_AREA_MUNICIPALITIES: dict[str, tuple[tuple[int, str], ...]] = {
    "Nordjylland": (
        (810, "Brønderslev"),
        (813, "Frederikshavn"),
        (860, "Hjørring"),
        (849, "Jammerbugt"),
        (825, "Læsø"),
        (846, "Mariagerfjord"),
        (773, "Morsø"),
        (840, "Rebild"),
        (787, "Thisted"),
        (820, "Vesthimmerland"),
        (851, "Aalborg"),
    ),
    "Vestjylland": (
        (657, "Herning"),
        (661, "Holstebro"),
        (756, "Ikast-Brande"),
        (665, "Lemvig"),
        (760, "Ringkøbing-Skjern"),
        (779, "Skive"),
        (671, "Struer"),
        (791, "Viborg"),
    ),
    "Østjylland": (
        (710, "Favrskov"),
        (766, "Hedensted"),
        (615, "Horsens"),
        (707, "Norddjurs"),
        (727, "Odder"),
        (730, "Randers"),
        (741, "Samsø"),
        (740, "Silkeborg"),
        (746, "Skanderborg"),
        (706, "Syddjurs"),
        (751, "Aarhus"),
    ),
    "Fyn": (
        (420, "Assens"),
        (430, "Faaborg-Midtfyn"),
        (440, "Kerteminde"),
        (482, "Langeland"),
        (410, "Middelfart"),
        (480, "Nordfyn"),
        (450, "Nyborg"),
        (461, "Odense"),
        (479, "Svendborg"),
        (492, "Ærø"),
    ),
    "Sydjylland": (
        (530, "Billund"),
        (561, "Esbjerg"),
        (563, "Fanø"),
        (607, "Fredericia"),
        (510, "Haderslev"),
        (621, "Kolding"),
        (540, "Sønderborg"),
        (550, "Tønder"),
        (573, "Varde"),
        (575, "Vejen"),
        (630, "Vejle"),
        (580, "Aabenraa"),
    ),
    "Bornholm": ((400, "Bornholm"),),
    "Hovedstaden": (
        (165, "Albertslund"),
        (201, "Allerød"),
        (151, "Ballerup"),
        (153, "Brøndby"),
        (155, "Dragør"),
        (240, "Egedal"),
        (210, "Fredensborg"),
        (147, "Frederiksberg"),
        (250, "Frederikssund"),
        (190, "Furesø"),
        (157, "Gentofte"),
        (159, "Gladsaxe"),
        (161, "Glostrup"),
        (270, "Gribskov"),
        (260, "Halsnæs"),
        (217, "Helsingør"),
        (163, "Herlev"),
        (219, "Hillerød"),
        (167, "Hvidovre"),
        (169, "Høje-Taastrup"),
        (223, "Hørsholm"),
        (183, "Ishøj"),
        (101, "København"),
        (173, "Lyngby-Taarbæk"),
        (230, "Rudersdal"),
        (175, "Rødovre"),
        (185, "Tårnby"),
        (187, "Vallensbæk"),
    ),
    "Sjælland": (
        (320, "Faxe"),
        (253, "Greve"),
        (376, "Guldborgsund"),
        (316, "Holbæk"),
        (326, "Kalundborg"),
        (259, "Køge"),
        (350, "Lejre"),
        (360, "Lolland"),
        (370, "Næstved"),
        (306, "Odsherred"),
        (329, "Ringsted"),
        (265, "Roskilde"),
        (330, "Slagelse"),
        (269, "Solrød"),
        (340, "Sorø"),
        (336, "Stevns"),
        (390, "Vordingborg"),
    ),
}

#: municipality name -> (code, RAR area)
MUNICIPALITIES: dict[str, tuple[int, str]] = {
    name: (code, area) for area, entries in _AREA_MUNICIPALITIES.items() for code, name in entries
}
_BY_CODE: dict[int, str] = {code: name for name, (code, _a) in MUNICIPALITIES.items()}

# Spellings seen in real lists: "Århus", "Københavns Kommune", "Lyngby-Taarbæk Kommune" ...
_ALIASES = {
    "arhus": "Aarhus",
    "aarhus": "Aarhus",
    "aalborg": "Aalborg",
    "alborg": "Aalborg",
    "abenra": "Aabenraa",
    "aabenraa": "Aabenraa",
    "kobenhavn": "København",
    "kobenhavns": "København",
    "copenhagen": "København",
    "hoje taastrup": "Høje-Taastrup",
    "hoje tastrup": "Høje-Taastrup",
    "lyngby": "Lyngby-Taarbæk",
    "taarnby": "Tårnby",
    "faaborg": "Faaborg-Midtfyn",
    "aero": "Ærø",
    "aeroe": "Ærø",
    "kbh": "København",
    "fakse": "Faxe",
}


def _key(text: str) -> str:
    s = text.strip().lower()
    s = re.sub(r"\b(kommune|kommunes|jobcenter)\b", " ", s)
    s = s.replace("æ", "ae").replace("ø", "o").replace("å", "a")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    return s


_BY_KEY: dict[str, str] = {_key(name): name for name in MUNICIPALITIES}
_BY_KEY.update(_ALIASES)


def municipality_name(text: str | int | None) -> str | None:
    """The official name of a municipality from a name, spelling variant or code."""
    if text is None:
        return None
    if isinstance(text, int):
        return _BY_CODE.get(text)
    stripped = text.strip()
    # ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses
    if stripped.isascii() and stripped.isdigit():
        return _BY_CODE.get(int(stripped)) if len(stripped) <= 4 else None
    return _BY_KEY.get(_key(stripped))


def closest_municipality(text: str) -> str | None:
    """The municipality ``text`` names, allowing for a typo ("Kobenhvn", "Roskilds
    Kommune", "Helsingor"): the official name, or None when no municipality is close."""
    exact = municipality_name(text)
    if exact is not None:
        return exact
    key = _key(text)
    if len(key) < 4 or len(key) > 80:
        return None
    match = difflib.get_close_matches(key, _BY_KEY, n=1, cutoff=0.8)
    return _BY_KEY[match[0]] if match else None


def rar_area(municipality: str | int | None) -> str:
    """The RAR area of a municipality, or :data:`NO_AREA` if it is unknown."""
    name = municipality_name(municipality)
    return MUNICIPALITIES[name][1] if name else NO_AREA


def municipality_code(municipality: str | None) -> int | None:
    name = municipality_name(municipality)
    return MUNICIPALITIES[name][0] if name else None


# --------------------------------------------------------------------------- schemes

#: The 5 regions, each the area of one regionale beskæftigelsesråd from 2025.
RBR_AREAS: tuple[str, ...] = (
    "Nordjylland",
    "Midtjylland",
    "Syddanmark",
    "Sjælland",
    "Hovedstaden",
)

# The municipalities of each of the 5 regions since the 2007 reform (Ertholmene with
# Christiansø belongs to no municipality and no region). Each region is the area of one
# regionale beskæftigelsesråd from 1 January 2025.
_REGION_MUNICIPALITIES: dict[str, tuple[str, ...]] = {
    "Nordjylland": (
        "Brønderslev",
        "Frederikshavn",
        "Hjørring",
        "Jammerbugt",
        "Læsø",
        "Mariagerfjord",
        "Morsø",
        "Rebild",
        "Thisted",
        "Vesthimmerland",
        "Aalborg",
    ),
    "Midtjylland": (
        "Favrskov",
        "Hedensted",
        "Herning",
        "Holstebro",
        "Horsens",
        "Ikast-Brande",
        "Lemvig",
        "Norddjurs",
        "Odder",
        "Randers",
        "Ringkøbing-Skjern",
        "Samsø",
        "Silkeborg",
        "Skanderborg",
        "Skive",
        "Struer",
        "Syddjurs",
        "Viborg",
        "Aarhus",
    ),
    "Syddanmark": (
        "Assens",
        "Billund",
        "Esbjerg",
        "Fanø",
        "Fredericia",
        "Faaborg-Midtfyn",
        "Haderslev",
        "Kerteminde",
        "Kolding",
        "Langeland",
        "Middelfart",
        "Nordfyn",
        "Nyborg",
        "Odense",
        "Svendborg",
        "Sønderborg",
        "Tønder",
        "Varde",
        "Vejen",
        "Vejle",
        "Ærø",
        "Aabenraa",
    ),
    "Sjælland": (
        "Faxe",
        "Greve",
        "Guldborgsund",
        "Holbæk",
        "Kalundborg",
        "Køge",
        "Lejre",
        "Lolland",
        "Næstved",
        "Odsherred",
        "Ringsted",
        "Roskilde",
        "Slagelse",
        "Solrød",
        "Sorø",
        "Stevns",
        "Vordingborg",
    ),
    "Hovedstaden": (
        "Albertslund",
        "Allerød",
        "Ballerup",
        "Bornholm",
        "Brøndby",
        "Dragør",
        "Egedal",
        "Fredensborg",
        "Frederiksberg",
        "Frederikssund",
        "Furesø",
        "Gentofte",
        "Gladsaxe",
        "Glostrup",
        "Gribskov",
        "Halsnæs",
        "Helsingør",
        "Herlev",
        "Hillerød",
        "Hvidovre",
        "Høje-Taastrup",
        "Hørsholm",
        "Ishøj",
        "København",
        "Lyngby-Taarbæk",
        "Rudersdal",
        "Rødovre",
        "Tårnby",
        "Vallensbæk",
    ),
}


@dataclass(frozen=True)
class AreaScheme:
    """A way of dividing Denmark into areas, in force from ``valid_from`` to ``valid_to``
    (inclusive; None: still in force)."""

    key: str
    title: str  # Danish, for report headings
    column: str  # Danish heading of the area column
    valid_from: dt.date
    valid_to: dt.date | None
    areas: tuple[str, ...]
    by_code: dict[int, str]

    def area(self, code: int | None) -> str:
        """The area of a municipality code, or :data:`NO_AREA`."""
        return NO_AREA if code is None else self.by_code.get(code, NO_AREA)

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


RAR_2015 = AreaScheme(
    key="rar-2015",
    title="RAR-områder 2015–2024",
    column="RAR-område",
    valid_from=dt.date(2015, 1, 1),
    valid_to=dt.date(2024, 12, 31),
    areas=RAR_AREAS,
    by_code={code: area for code, area in MUNICIPALITIES.values()},
)
RBR_2025 = AreaScheme(
    key="rbr-2025",
    title="Regionale beskæftigelsesråd fra 2025",
    column="Region",
    valid_from=dt.date(2025, 1, 1),
    valid_to=None,
    areas=RBR_AREAS,
    by_code={
        MUNICIPALITIES[name][0]: region
        for region, names in _REGION_MUNICIPALITIES.items()
        for name in names
    },
)

#: Every area scheme by its key, oldest first.
SCHEMES: dict[str, AreaScheme] = {s.key: s for s in (RAR_2015, RBR_2025)}


def scheme_on(day: dt.date) -> AreaScheme:
    """The scheme in force on ``day`` (before the oldest: the oldest)."""
    for scheme in SCHEMES.values():
        if scheme.in_force(day):
            return scheme
    schemes = list(SCHEMES.values())
    return schemes[0] if day < schemes[0].valid_from else schemes[-1]


def jobcenter_code(municipality_code: int | None, municipality: str | None) -> int | None:
    """A jobcenter's municipality code: the stored one, else from its municipality name."""
    if municipality_code is not None:
        return municipality_code if municipality_code in _BY_CODE else None
    name = municipality_name(municipality)
    return MUNICIPALITIES[name][0] if name else None

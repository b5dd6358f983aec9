"""Municipalities (jobcenter = municipality) and the RAR area each belongs to.

The 8 RAR areas (regionale arbejdsmarkedsråd) since 2015 and the 98 municipalities with
their official 3-digit municipality codes. Reports group visits and agreements by area;
a company whose municipality is unknown falls in :data:`NO_AREA`.
"""

from __future__ import annotations

import re
import unicodedata

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


def rar_area(municipality: str | int | None) -> str:
    """The RAR area of a municipality, or :data:`NO_AREA` if it is unknown."""
    name = municipality_name(municipality)
    return MUNICIPALITIES[name][1] if name else NO_AREA


def municipality_code(municipality: str | None) -> int | None:
    name = municipality_name(municipality)
    return MUNICIPALITIES[name][0] if name else None

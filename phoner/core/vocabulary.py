"""One vocabulary: the Danish label and the accepted input words of every user-facing enum.

Each enum has one table, member -> :class:`Term` (the label users see, plus the extra words
they may type for it). :func:`label` gives the label, :func:`parse` reads what a user typed
(in a CSV cell, a CLI option, a script file) back into the member. Parsing compares
:func:`key` forms: case, spaces, hyphens, underscores, slashes and æ/ø/å-vs-ae/oe/aa make no
difference. The code value and the label are always accepted, so ``parse(E, label(m))`` and
``parse(E, m.value)`` give ``m`` back for every member (tests/core/test_vocabulary.py).

An unknown word raises :class:`UnknownWord`, an :class:`InvalidInput` whose hint lists the
labels; it is also a ``ValueError`` so callers that catch ``ValueError`` keep working.

The TUI's catalog (``phoner/tui/i18n``) says the same words for the round states; the
English wording lives only there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from phoner.core.errors import InvalidInput
from phoner.core.models import (
    AgreementCategory,
    CancelReason,
    ClearingReason,
    ClearingState,
    CompanyCancelReason,
    FollowUpKind,
    MeetingStatus,
    NotInterestedReason,
    Outcome,
    RoundState,
)
from phoner.formats.tabular import normalize_header

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Term:
    """A member's Danish label and the further words (Danish, English) accepted for it."""

    label: str
    words: tuple[str, ...] = ()


class UnknownWord(InvalidInput, ValueError):
    """A word that names no member of the enum asked for."""


def key(text: str) -> str:
    """Comparison form of a word: ``"Afkortet/telefonisk"`` -> ``"afkortettelefonisk"``."""
    return normalize_header(text)


def _words(text: str) -> Term:
    """The label written from the code: ``vil_kontaktes`` -> ``Vil kontaktes``."""
    return Term(text.replace("_", " ").capitalize())


OUTCOME: dict[Outcome, Term] = {o: _words(o.value) for o in Outcome}
OUTCOME[Outcome.IKKE_NU] = Term("Ikke nu, men senere", ("senere", "not now"))

NOT_INTERESTED_REASON: dict[NotInterestedReason, Term] = {
    NotInterestedReason.INGEN_OPGAVER: Term("Ingen opgaver", ("no tasks",)),
    NotInterestedReason.FOR_LILLE: Term("For lille", ("too small",)),
    NotInterestedReason.EGNE_MEDARBEJDERE: Term(
        "Bruger kun egne medarbejdere", ("egne medarbejdere", "own staff")
    ),
    NotInterestedReason.DAARLIGE_ERFARINGER: Term(
        "Dårlige erfaringer", ("bad experience", "bad experiences")
    ),
    NotInterestedReason.ANDET: Term("Andet", ("other",)),
}

ROUND_STATE: dict[RoundState, Term] = {
    RoundState.PLANNED: Term("planlagt", ("planned",)),
    RoundState.ACTIVE: Term("aktiv", ("active", "i gang", "startet")),
    RoundState.CLOSED: Term("afsluttet", ("closed", "lukket")),
}

MEETING_STATUS: dict[MeetingStatus, Term] = {
    MeetingStatus.AFHOLDT: Term("Afholdt", ("holdt", "gennemført")),
    MeetingStatus.AFLYST_AF_VIRKSOMHEDEN: Term("Aflyst af virksomheden", ("aflyst virksomhed",)),
    MeetingStatus.AFLYST_AF_KONSULENTEN: Term("Aflyst af konsulenten", ("aflyst konsulent",)),
    MeetingStatus.KONSULENT_UDEBLEV: Term("Konsulent udeblev", ("udeblev", "no-show")),
    MeetingStatus.AFKORTET_TELEFONISK: Term(
        "Afkortet/telefonisk", ("afkortet", "telefonisk", "telefonmøde")
    ),
    MeetingStatus.FLYTTET: Term("Flyttet"),
}

COMPANY_CANCEL_REASON: dict[CompanyCancelReason, Term] = {
    CompanyCancelReason.TRAVLHED: Term("Travlhed"),
    CompanyCancelReason.AENDRET_HOLDNING: Term("Ændret holdning"),
    CompanyCancelReason.GLEMT: Term("Glemt"),
    CompanyCancelReason.ANDET: Term("Andet"),
}

CANCEL_REASON: dict[CancelReason, Term] = {
    CancelReason.COMPANY_CANCELLED: Term(
        "Virksomheden aflyste", ("virksomhed", "virksomheden", "company")
    ),
    CancelReason.CONSULTANT_CANCELLED: Term(
        "Konsulenten aflyste", ("konsulent", "konsulenten", "consultant")
    ),
    CancelReason.MOVED: Term("Flyttet", ("moved",)),
    CancelReason.FEJLBOOKING: Term("Fejlbooking", ("fejl", "mistake")),
}

_AGREEMENT_LABELS: dict[AgreementCategory, str] = {
    AgreementCategory.JOBORDRE: "Jobordre/rekruttering",
    AgreementCategory.OPKVALIFICERINGSJOB: "Opkvalificeringsjob",
    AgreementCategory.VOKSENLAERLING: "Voksenlærling",
    AgreementCategory.JOBROTATION: "Jobrotation",
    AgreementCategory.LOENTILSKUD: "Løntilskud",
    AgreementCategory.VIRKSOMHEDSPRAKTIK: "Virksomhedspraktik",
    AgreementCategory.FAGPILOT: "Fagpilot",
    AgreementCategory.FASTHOLDELSE: "Fastholdelse",
    AgreementCategory.FLEKSJOB: "Fleksjob",
    AgreementCategory.FLYGTNINGE: "Virksomhedspladser til flygtninge",
}
#: The part before a slash is accepted too ("Jobordre" for "Jobordre/rekruttering").
AGREEMENT_CATEGORY: dict[AgreementCategory, Term] = {
    c: Term(lbl, (lbl.split("/")[0],)) for c, lbl in _AGREEMENT_LABELS.items()
}

#: The jobcenter's decision in the clearing sheet. "Ikke gennemgået" is shown, never typed
#: as a decision (:func:`parse_decision` refuses it).
CLEARING_STATE: dict[ClearingState, Term] = {
    ClearingState.KEEP: Term("Behold", ("b", "keep", "ja", "beholdes")),
    ClearingState.REMOVE: Term("Fjern", ("f", "remove", "slet", "nej", "fjernes")),
    ClearingState.PENDING: Term("Ikke gennemgået", ("pending",)),
}

CLEARING_REASON: dict[ClearingReason, Term] = {r: _words(r.value) for r in ClearingReason}

FOLLOW_UP_KIND: dict[FollowUpKind, Term] = {
    FollowUpKind.CALL_COMPANY: Term("Ring op", ("ring", "call")),
    FollowUpKind.AGREEMENT: Term("Aftale", ()),
    FollowUpKind.OTHER: Term("Andet", ()),
}

#: Enum -> its table; every user-facing enum is here (a test checks each member has a term).
TABLES: dict[type[StrEnum], Mapping[Any, Term]] = {
    Outcome: OUTCOME,
    RoundState: ROUND_STATE,
    MeetingStatus: MEETING_STATUS,
    CompanyCancelReason: COMPANY_CANCEL_REASON,
    CancelReason: CANCEL_REASON,
    AgreementCategory: AGREEMENT_CATEGORY,
    ClearingState: CLEARING_STATE,
    ClearingReason: CLEARING_REASON,
    FollowUpKind: FOLLOW_UP_KIND,
    NotInterestedReason: NOT_INTERESTED_REASON,
}

#: What each enum is called in an error message.
_NOUNS: dict[type[StrEnum], str] = {
    Outcome: "udfald",
    RoundState: "rundestatus",
    MeetingStatus: "status",
    CompanyCancelReason: "aflysningsårsag",
    CancelReason: "aflysningsgrund",
    AgreementCategory: "aftalekategori",
    ClearingState: "beslutning",
    ClearingReason: "begrundelse",
    FollowUpKind: "opfølgningstype",
    NotInterestedReason: "årsag",
}

#: Hints that name the short words rather than the labels.
_HINTS: dict[type[StrEnum], str] = {
    CancelReason: "Brug virksomhed, konsulent eller flyttet.",
    ClearingState: "Skriv Behold eller Fjern.",
}


def _index(table: Mapping[Any, Term]) -> dict[str, StrEnum]:
    out: dict[str, StrEnum] = {}
    for member, term in table.items():
        for word in (member.value, term.label, *term.words):
            k = key(word)
            if out.setdefault(k, member) is not member:
                raise AssertionError(f"{word!r} names two members: {out[k]} and {member}")
    return out


_INDEX: dict[type[StrEnum], dict[str, StrEnum]] = {e: _index(t) for e, t in TABLES.items()}


def label(member: StrEnum) -> str:
    """The Danish label of ``member`` (as written in core messages and reports)."""
    return TABLES[type(member)][member].label


def labels(enum: type[E]) -> dict[E, str]:
    """Member -> label for every member of ``enum``, in declaration order."""
    return {m: label(m) for m in enum}


def accepted(enum: type[StrEnum]) -> str:
    """The labels of ``enum`` as a Danish list for hints: ``"Afholdt, …, Flyttet"``."""
    return ", ".join(TABLES[enum][m].label for m in enum)


def lookup(enum: type[E], text: str) -> E | None:
    """The member ``text`` names, or ``None``."""
    member = _INDEX[enum].get(key(text))
    return None if member is None else enum(member.value)


def parse(enum: type[E], text: str) -> E:
    """The member ``text`` names; :class:`UnknownWord` (a Danish message) if none."""
    member = lookup(enum, text)
    if member is None:
        hint = _HINTS.get(enum) or f"Brug en af: {accepted(enum)}."
        raise UnknownWord(f"Ukendt {_NOUNS[enum]} {text!r}.", hint=hint)
    return member


# --------------------------------------------------------------------------- decisions


def parse_decision(text: str) -> ClearingState:
    """A coordinator's decision, Behold or Fjern (and their words); :class:`UnknownWord` for
    anything else, also for "Ikke gennemgået": nobody decides that a company is pending."""
    member = lookup(ClearingState, text)
    if member is None or member is ClearingState.PENDING:
        raise UnknownWord(f"Ukendt beslutning {text!r}.", hint=_HINTS[ClearingState])
    return member


def decision_label(state: ClearingState) -> str:
    """The decision as the clearing sheet writes it: Behold / Fjern / '' (not decided)."""
    return "" if state is ClearingState.PENDING else label(state)


# --------------------------------------------------------------------------- yes / no

YES_WORDS = frozenset({"ja", "j", "yes", "y", "1", "true", "x", "aktiv"})
NO_WORDS = frozenset({"nej", "n", "no", "0", "false", "inaktiv", "stoppet"})


def parse_yes_no(text: str) -> bool:
    """``ja``/``nej`` and their English and 1/0 forms; :class:`UnknownWord` otherwise."""
    k = text.strip().lower()
    if k in YES_WORDS:
        return True
    if k in NO_WORDS:
        return False
    raise UnknownWord(f"Ukendt ja/nej-værdi: {text!r}.", hint="Skriv ja eller nej.")

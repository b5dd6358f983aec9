"""The one vocabulary: every member has a label and parses back; old input words still parse."""

from __future__ import annotations

from enum import StrEnum

import pytest

from phoner.core import vocabulary
from phoner.core.errors import InvalidInput
from phoner.core.models import (
    AgreementCategory,
    CancelReason,
    ClearingState,
    MeetingStatus,
    Outcome,
)


@pytest.mark.parametrize("enum", list(vocabulary.TABLES))
def test_every_member_has_a_label_and_parses_back(enum: type[StrEnum]) -> None:
    for member in enum:
        assert vocabulary.label(member)
        assert vocabulary.parse(enum, vocabulary.label(member)) is member
        assert vocabulary.parse(enum, member.value) is member


# Words the scattered parsers accepted before the vocabulary (taken from the old tables).
OLD_WORDS: list[tuple[type[StrEnum], str, str]] = (
    [
        (MeetingStatus, w, m)
        for w, m in [
            ("holdt", "AFHOLDT"),
            ("gennemført", "AFHOLDT"),
            ("afkortet", "AFKORTET_TELEFONISK"),
            ("telefonisk", "AFKORTET_TELEFONISK"),
            ("telefonmøde", "AFKORTET_TELEFONISK"),
            ("udeblev", "KONSULENT_UDEBLEV"),
            ("no-show", "KONSULENT_UDEBLEV"),
            ("aflyst virksomhed", "AFLYST_AF_VIRKSOMHEDEN"),
            ("aflyst konsulent", "AFLYST_AF_KONSULENTEN"),
            ("Afkortet/telefonisk", "AFKORTET_TELEFONISK"),
        ]
    ]
    + [
        (CancelReason, w, m)
        for w, m in [
            ("virksomhed", "COMPANY_CANCELLED"),
            ("virksomheden", "COMPANY_CANCELLED"),
            ("company", "COMPANY_CANCELLED"),
            ("konsulent", "CONSULTANT_CANCELLED"),
            ("konsulenten", "CONSULTANT_CANCELLED"),
            ("consultant", "CONSULTANT_CANCELLED"),
            ("moved", "MOVED"),
            ("Virksomhed-Aflyste", "COMPANY_CANCELLED"),
            ("konsulent aflyste", "CONSULTANT_CANCELLED"),
        ]
    ]
    + [(Outcome, "vil-kontaktes", "VIL_KONTAKTES"), (Outcome, "IKKE TRUFFET", "IKKE_TRUFFET")]
)


@pytest.mark.parametrize(("enum", "word", "name"), OLD_WORDS)
def test_old_words_still_parse(enum: type[StrEnum], word: str, name: str) -> None:
    assert vocabulary.parse(enum, word) is enum[name]


def test_unknown_word_lists_the_labels() -> None:
    with pytest.raises(InvalidInput) as exc:
        vocabulary.parse(MeetingStatus, "måske")
    assert "måske" in str(exc.value)
    assert isinstance(exc.value, ValueError)
    assert exc.value.hint is not None and "Afholdt" in exc.value.hint


#: The clearing sheet's and ``list decide``'s words before the vocabulary (DECISION_WORDS,
#: compared lower-cased), plus the labels the sheet itself writes.
OLD_DECISION_WORDS = {
    "behold": ClearingState.KEEP,
    "b": ClearingState.KEEP,
    "keep": ClearingState.KEEP,
    "ja": ClearingState.KEEP,
    "fjern": ClearingState.REMOVE,
    "f": ClearingState.REMOVE,
    "remove": ClearingState.REMOVE,
    "slet": ClearingState.REMOVE,
    "nej": ClearingState.REMOVE,
    "Behold": ClearingState.KEEP,
    "FJERN": ClearingState.REMOVE,
}


@pytest.mark.parametrize(("word", "decision"), OLD_DECISION_WORDS.items())
def test_old_decision_words_still_parse(word: str, decision: ClearingState) -> None:
    assert vocabulary.parse_decision(word) is decision
    assert vocabulary.parse_decision(f"  {word} ") is decision


@pytest.mark.parametrize("word", ["Ikke gennemgået", "pending", "ikke gennemgaaet", "måske"])
def test_pending_is_no_decision(word: str) -> None:
    """A coordinator decides Behold or Fjern; 'not reviewed' is a state, not a choice."""
    with pytest.raises(vocabulary.UnknownWord) as exc:
        vocabulary.parse_decision(word)
    assert exc.value.hint == "Skriv Behold eller Fjern."


def test_the_sheet_writes_words_that_parse_back() -> None:
    for state in (ClearingState.KEEP, ClearingState.REMOVE):
        assert vocabulary.parse_decision(vocabulary.decision_label(state)) is state
    assert vocabulary.decision_label(ClearingState.PENDING) == ""


#: 'visits record --agreement' and the visits import took the code, the label and the
#: label's part before a slash (the old _CATEGORY_WORDS and IMPORT_ALIASES).
OLD_AGREEMENT_WORDS = {
    "jobordre": AgreementCategory.JOBORDRE,
    "Jobordre": AgreementCategory.JOBORDRE,
    "Jobordre/rekruttering": AgreementCategory.JOBORDRE,
    "loentilskud": AgreementCategory.LOENTILSKUD,
    "Løntilskud": AgreementCategory.LOENTILSKUD,
    "voksenlaerling": AgreementCategory.VOKSENLAERLING,
    "Voksenlærling": AgreementCategory.VOKSENLAERLING,
    "virksomhedspraktik": AgreementCategory.VIRKSOMHEDSPRAKTIK,
    "Virksomhedspladser til flygtninge": AgreementCategory.FLYGTNINGE,
    "virksomhedspladser_flygtninge": AgreementCategory.FLYGTNINGE,
    "fleksjob": AgreementCategory.FLEKSJOB,
}


@pytest.mark.parametrize(("word", "category"), OLD_AGREEMENT_WORDS.items())
def test_old_agreement_words_still_parse(word: str, category: AgreementCategory) -> None:
    assert vocabulary.parse(AgreementCategory, word) is category


#: consultants import's 'Aktiv' column words before parse_yes_no (the old _parse_bool).
OLD_YES = ["ja", "j", "yes", "y", "1", "true", "x", "aktiv", "JA", " Ja "]
OLD_NO = ["nej", "n", "no", "0", "false", "inaktiv", "stoppet", "NEJ"]


@pytest.mark.parametrize("word", OLD_YES)
def test_old_yes_words(word: str) -> None:
    assert vocabulary.parse_yes_no(word) is True


@pytest.mark.parametrize("word", OLD_NO)
def test_old_no_words(word: str) -> None:
    assert vocabulary.parse_yes_no(word) is False

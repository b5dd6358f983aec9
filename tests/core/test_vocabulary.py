"""The one vocabulary: every member has a label and parses back; old input words still parse."""

from __future__ import annotations

from enum import StrEnum

import pytest

from phoner.core import vocabulary
from phoner.core.errors import InvalidInput
from phoner.core.models import CancelReason, MeetingStatus, Outcome


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

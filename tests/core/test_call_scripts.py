"""Call-out scripts: the schema check locates every problem; the shipped script is sound."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from phoner.commands.hints import cli_hint
from phoner.core.call_scripts import (
    ScriptError,
    ScriptWalk,
    check_script,
    fill_placeholders,
    load_script,
    outcome_paths,
)
from phoner.core.campaigns import script_hash
from phoner.core.errors import InvalidInput
from phoner.core.models import Outcome

REPO = Path(__file__).resolve().parents[2]
FLEKSJOB = REPO / "scripts" / "fleksjob.toml"

GOOD = """
[script]
name = "Test"
version = "1"
start = "a"
opening = "Goddag"

[[question]]
id = "a"
text = "Rette person?"
  [[question.answer]]
  text = "Ja"
  next = "b"
  [[question.answer]]
  text = "Nej"
  outcome = "ring_tilbage"

[[question]]
id = "b"
text = "Besøg?"
  [[question.answer]]
  text = "Ja"
  outcome = "vil_kontaktes"
  book_visit = true
  [[question.answer]]
  text = "Nej"
  outcome = "Ikke interesseret"

[[needs]]
key = "timer"
label = "Timer pr. uge"
kind = "int"

[[faq]]
id = "x"
title = "Hvad er et fleksjob?"
answer = "Et job på særlige vilkår."
tags = ["fakta"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "script.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    return [(p.location, p.message) for p in check_script(write(tmp_path, text))]


# --------------------------------------------------------------------------- shipped


def test_shipped_fleksjob_script_is_valid() -> None:
    assert check_script(FLEKSJOB) == []
    script = load_script(FLEKSJOB)
    assert script.hash == script_hash(FLEKSJOB)
    assert script.valid_as_of is not None
    assert 4 <= len(script.questions) <= 5
    assert script.opening.startswith("Goddag")


def test_shipped_script_reaches_every_substantive_outcome_and_a_visit() -> None:
    script = load_script(FLEKSJOB)
    paths = outcome_paths(script)
    for outcome in (
        Outcome.VIL_KONTAKTES,
        Outcome.IKKE_INTERESSERET,
        Outcome.HAR_FLEKSJOBBERE,
        Outcome.HAR_KONTAKT,
        Outcome.RING_TILBAGE,
    ):
        assert paths.get(outcome), f"no path to {outcome}"
    visits = [a for q in script.questions.values() for a in q.answers if a.book_visit]
    assert visits and all(a.outcome == Outcome.VIL_KONTAKTES for a in visits)
    # every answer of every question is on some path (nothing dead in the script)
    used = {step for group in paths.values() for path in group for step in path}
    every = {(q.id, a.key) for q in script.questions.values() for a in q.answers}
    assert used == every


def test_shipped_script_needs_fields_and_faq() -> None:
    script = load_script(FLEKSJOB)
    labels = [f.label for f in script.needs_fields]
    assert labels == [
        "Jobtype/funktion",
        "Faglært/ufaglært",
        "Branche",
        "Timer pr. uge",
        "Hvor mange",
        "Hvornår",
        "Note om behovet",
    ]
    assert [f.kind for f in script.needs_fields if f.key in {"timer_pr_uge", "antal"}] == [
        "int",
        "int",
    ]
    assert "Faglært" in script.needs_fields[1].choices
    assert len(script.faq) >= 8
    assert any("prøveperiode" in e.answer for e in script.search_faq("hvad hvis"))
    assert [e.id for e in script.search_faq("bøvlet")] == ["for_bøvlet"]
    # no promised amounts anywhere: no digits followed by kr
    import re

    for entry in script.faq:
        assert not re.search(r"\d\s*kr", entry.answer)


def test_not_interested_takes_at_most_three_keys() -> None:
    script = load_script(FLEKSJOB)
    shortest = min(len(p) for p in outcome_paths(script)[Outcome.IKKE_INTERESSERET])
    assert shortest <= 3


# --------------------------------------------------------------------------- walk


def test_walk_through_the_script_and_back(tmp_path: Path) -> None:
    script = load_script(write(tmp_path, GOOD))
    walk = ScriptWalk(script)
    assert walk.current is not None and walk.current.id == "a"
    assert not walk.finished and walk.outcome is None
    walk.answer("1")
    assert walk.current is not None and walk.current.id == "b"
    answer = walk.answer("1")
    assert answer.outcome == Outcome.VIL_KONTAKTES
    assert walk.finished and walk.current is None
    assert walk.outcome == Outcome.VIL_KONTAKTES and walk.wants_visit
    assert walk.answers == {"a": "1", "b": "1"}
    with pytest.raises(InvalidInput):
        walk.answer("1")
    back = walk.back()
    assert back is not None and back.id == "b"
    assert walk.outcome is None and not walk.wants_visit
    walk.answer("2")
    assert walk.outcome == Outcome.IKKE_INTERESSERET and not walk.wants_visit
    walk.back()
    walk.back()
    assert walk.answers == {} and walk.current is not None and walk.current.id == "a"
    assert walk.back() is not None  # back at the start is harmless


def test_walk_rejects_unknown_key(tmp_path: Path) -> None:
    walk = ScriptWalk(load_script(write(tmp_path, GOOD)))
    with pytest.raises(InvalidInput) as info:
        walk.answer("7")
    assert "1, 2" in (info.value.hint or "")
    assert walk.answers == {}


# --------------------------------------------------------------------------- problems


def test_good_script_has_no_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD) == []
    script = load_script(write(tmp_path, GOOD))
    assert list(script.questions) == ["a", "b"]
    assert script.questions["b"].answers[1].outcome == Outcome.IKKE_INTERESSERET


def test_bad_toml_reports_line_and_column(tmp_path: Path) -> None:
    found = problems(tmp_path, '[script]\nname = "x"\nopening = \n')
    assert len(found) == 1
    location, message = found[0]
    assert location.startswith("linje 3")
    assert "kolonne" in location and "ugyldig TOML" in message


def test_unknown_outcome_is_located(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace('outcome = "ring_tilbage"', 'outcome = "maaske"'))
    assert found == [
        (
            "spørgsmål 'a', svar 2",
            found[0][1],
        )
    ]
    assert "ukendt udfald 'maaske'" in found[0][1] and "vil_kontaktes" in found[0][1]


def test_answer_pointing_to_missing_question(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace('next = "b"', 'next = "c"'))
    locations = dict(found)
    assert "spørgsmål 'a', svar 1" in locations
    assert "'c', som ikke findes" in locations["spørgsmål 'a', svar 1"]
    # b is then unreachable: reported too, at b
    assert "kan ikke nås" in locations["spørgsmål 'b'"]


def test_unreachable_question(tmp_path: Path) -> None:
    text = GOOD + '\n[[question]]\nid = "c"\ntext = "Glemt?"\n  [[question.answer]]\n'
    text += '  text = "Ja"\n  outcome = "har_kontakt"\n'
    assert problems(tmp_path, text) == [
        ("spørgsmål 'c'", "spørgsmålet kan ikke nås fra startspørgsmålet 'a'.")
    ]


def test_loop_is_reported_with_its_path(tmp_path: Path) -> None:
    text = GOOD.replace('outcome = "Ikke interesseret"', 'next = "a"')
    found = problems(tmp_path, text)
    assert len(found) == 1
    location, message = found[0]
    assert location == "spørgsmål 'b', svar 2"
    assert "løkke" in message and "a → b → a" in message


def test_missing_texts(tmp_path: Path) -> None:
    text = GOOD.replace('text = "Besøg?"', 'text = "  "').replace('opening = "Goddag"', "")
    found = dict(problems(tmp_path, text))
    assert "'opening' mangler" in found["[script]"]
    assert "'text' er tomt" in found["spørgsmål 'b'"]


def test_answer_without_text_or_ending(tmp_path: Path) -> None:
    text = GOOD.replace('  text = "Nej"\n  outcome = "ring_tilbage"\n', '  note = "x"\n')
    found = problems(tmp_path, text)
    where = {loc for loc, _ in found}
    assert where == {"spørgsmål 'a', svar 2"}
    messages = " ".join(m for _, m in found)
    assert "'text' mangler" in messages and "'next'" in messages


def test_duplicate_keys_and_ids(tmp_path: Path) -> None:
    text = GOOD.replace(
        '  text = "Nej"\n  outcome = "ring_tilbage"',
        '  key = "1"\n  text = "Nej"\n  outcome = "ring_tilbage"',
    )
    text += '\n[[question]]\nid = "b"\ntext = "Igen"\n  [[question.answer]]\n  text = "x"\n'
    text += '  outcome = "lukket"\n'
    text += '\n[[needs]]\nkey = "timer"\nlabel = "Igen"\n'
    text += '\n[[faq]]\nid = "x"\ntitle = "t"\nanswer = "a"\n'
    found = problems(tmp_path, text)
    assert ("spørgsmål 'a', svar 1", "svarnøglen 1 bruges to gange i samme spørgsmål.") in found
    assert any(loc == "spørgsmål 'b'" and "flere spørgsmål" in m for loc, m in found)
    assert any(loc == "behovsfelt 'timer'" and "flere behovsfelter" in m for loc, m in found)
    assert any(loc == "FAQ 'x'" and "flere FAQ-punkter" in m for loc, m in found)


def test_other_problems(tmp_path: Path) -> None:
    text = GOOD.replace('start = "a"', 'start = "z"\nvalid_as_of = "i går"')
    text = text.replace('kind = "int"', 'kind = "tal"')
    text = text.replace("book_visit = true", 'book_visit = true\n  outcom = "x"')
    text = text.replace(
        'outcome = "Ikke interesseret"', 'outcome = "ikke_interesseret"\n  book_visit = true'
    )
    found = problems(tmp_path, text)
    messages = {m for _, m in found}
    assert any("startspørgsmålet 'z' findes ikke" in m for m in messages)
    assert any("'valid_as_of' skal være en dato" in m for m in messages)
    assert any("ukendt type 'tal'" in m for m in messages)
    assert any("ukendt felt 'outcom'" in m for m in messages)
    assert (
        "spørgsmål 'b', svar 2",
        "'book_visit = true' giver kun mening med outcome = 'vil_kontaktes'.",
    ) in found


def test_amount_needs_valid_as_of(tmp_path: Path) -> None:
    text = GOOD.replace("Et job på særlige vilkår.", "Tilskud på 1.000 kr. om måneden.")
    found = problems(tmp_path, text)
    assert len(found) == 1 and "valid_as_of" in found[0][1]
    dated = text.replace('version = "1"', 'version = "1"\nvalid_as_of = 2026-01-01')
    assert problems(tmp_path, dated) == []
    assert load_script(write(tmp_path, dated)).valid_as_of == dt.date(2026, 1, 1)


def test_load_script_lists_every_problem(tmp_path: Path) -> None:
    text = GOOD.replace('next = "b"', 'next = "c"').replace('"ring_tilbage"', '"nej"')
    path = write(tmp_path, text)
    with pytest.raises(ScriptError) as info:
        load_script(path)
    err = info.value
    assert len(err.problems) == 3
    assert str(path) in err.message
    for p in err.problems:
        assert p.location in err.message
    # how to check again is the CLI's advice, not core's hint (the TUI shows that)
    assert "phoner script check" not in (err.hint or "")
    assert "phoner script check" in (cli_hint(err) or "")


def test_missing_file_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="findes ikke"):
        check_script(tmp_path / "nope.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(GOOD.replace("Besøg", "Bes\xf8g").encode("latin-1"))
    found = check_script(bad)
    assert len(found) == 1 and "UTF-8" in found[0].message


def test_clean_needs() -> None:
    from phoner.core.call_scripts import clean_needs

    script = load_script(FLEKSJOB)
    assert clean_needs(
        script,
        {"jobtype": " Rengøring ", "timer_pr_uge": "8", "uddannelse": "ufaglært", "antal": ""},
    ) == {"jobtype": "Rengøring", "timer_pr_uge": 8, "uddannelse": "Ufaglært"}
    with pytest.raises(InvalidInput, match=r"Timer pr\. uge: 'otte' er ikke et helt tal"):
        clean_needs(script, {"timer_pr_uge": "otte"})
    with pytest.raises(InvalidInput) as info:
        clean_needs(script, {"uddannelse": "akademiker"})
    assert "Faglært" in (info.value.hint or "")
    with pytest.raises(InvalidInput, match="findes ikke"):
        clean_needs(script, {"loen": "1"})


def test_placeholders_are_filled_and_unknown_ones_stay() -> None:
    values = {"phoner": "Anne", "jobcenter": "Jobcenter Køge", "company": "Bæk ApS"}
    text = (
        "Mit navn er [dit navn] fra [Jobcentrets navn]. Er det [virksomhedens navn]? "
        "Må jeg tale med [kontaktpersonens navn]? [Pause]"
    )
    assert fill_placeholders(text, values) == (
        "Mit navn er Anne fra Jobcenter Køge. Er det Bæk ApS? "
        "Må jeg tale med [kontaktpersonens navn]? [Pause]"
    )
    assert fill_placeholders("[dit navn]", {"phoner": "  "}) == "[dit navn]"

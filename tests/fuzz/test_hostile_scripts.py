"""Issue 15's hostile call scripts: nesting 100,000 deep, a UTF-8 byte-order mark."""

from __future__ import annotations

from pathlib import Path

import pytest

from phoner.core.call_scripts import ScriptError, check_script, load_script
from tests.support.fuzz.hostile import toml_deep, toml_with_bom

REPO = Path(__file__).resolve().parents[2]
STANDARD = REPO / "scripts" / "fleksjob.toml"


@pytest.mark.parametrize("depth", [100_000, 2_000, 40])
def test_deeply_nested_script_is_a_danish_problem(tmp_path: Path, depth: int) -> None:
    path = toml_deep(tmp_path, depth)
    problems = check_script(path)  # was: RecursionError (an unexpected error) at 100,000
    assert len(problems) == 1
    assert "indlejret for dybt" in problems[0].message
    with pytest.raises(ScriptError):
        load_script(path)


def test_script_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = toml_with_bom(STANDARD, tmp_path)
    assert check_script(path) == []  # was: "Invalid statement" at line 1, column 1
    assert load_script(path).name == load_script(STANDARD).name


def test_a_long_chain_of_questions_does_not_recurse(tmp_path: Path) -> None:
    n = 3_000  # deeper than Python's recursion limit
    parts = ['[script]\nname = "Kæde"\nopening = "Hej"\nstart = "q0"\n']
    for i in range(n):
        nxt = f'next = "q{i + 1}"' if i + 1 < n else 'outcome = "ikke_interesseret"'
        parts.append(
            f'[[question]]\nid = "q{i}"\ntext = "Spørgsmål {i}?"\n'
            f'[[question.answer]]\nkey = "1"\ntext = "Videre"\n{nxt}\n'
        )
    path = tmp_path / "kaede.toml"
    path.write_text("\n".join(parts), encoding="utf-8")
    assert [p.message for p in check_script(path)] == []

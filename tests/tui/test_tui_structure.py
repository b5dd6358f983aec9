"""Rules of the TUI's shape that a review would otherwise have to catch.

- Textual's ``@work`` appears only in ``phoner/tui/workers.py`` (its ``db_worker`` never
  closes the app on a failure); every other module uses that helper.
- No screen or widget module holds a Danish literal: user text lives in the catalog
  (``phoner/tui/i18n/``), so the English catalog can sit beside it.
- Screens are opened by typed methods, not looked up by module or class-name strings.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import phoner.tui

TUI = Path(phoner.tui.__file__).parent
UI_MODULES = [
    *sorted((TUI / "screens").glob("*.py")),
    *sorted((TUI / "widgets").glob("*.py")),
    *(TUI / name for name in ("app.py", "usecases.py", "errors.py", "data.py", "keys.py")),
]

#: Danish letters, or a word no English or code string uses.
DANISH = re.compile(
    r"[æøåÆØÅ]|\b(og|ikke|eller|findes|virksomhed\w*|kampagne\w*|tilbage|fortryd|luk|"
    r"ringet|besøg|opfølgning\w*|konsulent\w*|godkend\w*|fjern\w*|behold|gemt|aflys\w*)\b",
    re.IGNORECASE,
)
#: Strings that look Danish but are not shown: option values, input patterns.
ALLOWED = {
    ("clearing.py", "alle"),
    ("clearing.py", "ingen"),
}


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_danish_literal_outside_the_catalog() -> None:
    found = [
        f"{path.relative_to(TUI)}:{line}: {text!r}"
        for path in UI_MODULES
        for line, text in _strings(path)
        if DANISH.search(text) and (path.name, text) not in ALLOWED
    ]
    assert found == []


def test_the_scan_finds_a_danish_literal(tmp_path: Path) -> None:
    module = tmp_path / "screen.py"
    module.write_text('"""Tilbage."""\nTITLE = "Opfølgninger"\nKEY = "fu.title"\n')
    assert [text for _, text in _strings(module) if DANISH.search(text)] == ["Opfølgninger"]


def test_work_is_used_only_by_the_worker_helper() -> None:
    users = []
    for path in sorted(TUI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "textual"
                and any(alias.name == "work" for alias in node.names)
            ):
                users.append(path.relative_to(TUI).as_posix())
            if isinstance(node, ast.Attribute) and node.attr == "work":
                users.append(path.relative_to(TUI).as_posix())
    assert users == ["workers.py"]


def test_no_screen_is_looked_up_by_name() -> None:
    for path in sorted(TUI.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "importlib" not in text, path
        assert "inspect.signature" not in text, path


def test_a_round_state_has_one_danish_word_everywhere() -> None:
    """A closed round was "afsluttet" in the CLI, "Afsluttet" on the dashboard and "lukket"
    on the start screen: the TUI's words are core's (capitalised where they head a cell)."""
    from phoner.core import vocabulary
    from phoner.core.models import FollowUpKind, RoundState
    from phoner.tui.i18n.da import DA

    for state in RoundState:
        word = vocabulary.label(state)
        assert DA[f"round_state.{state.value}"] == word
        assert DA[f"dash.round.{state.value}"] == word.capitalize()
    # the follow-up kinds too: the CLI's list and the TUI's column say the same word
    keys = {
        FollowUpKind.CALL_COMPANY: "fu.kind.call",
        FollowUpKind.AGREEMENT: "fu.kind.agreement",
        FollowUpKind.OTHER: "fu.kind.other",
    }
    for kind, key in keys.items():
        assert DA[key] == vocabulary.label(kind)

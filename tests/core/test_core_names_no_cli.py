"""Core's errors say what went wrong; how to fix it with flags and commands is the CLI's.

The TUI shows core's messages and hints as they are, so a ``--flag`` or a ``phoner list
reopen`` in core would tell a phoner in the TUI to type something they cannot. The CLI's
advice lives in phoner/commands/hints.py, the TUI's in phoner/tui/errors.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import typer.main

import phoner
from phoner.cli import app

ROOT = Path(phoner.__file__).parent
#: Code shared by the CLI and the TUI (and the feed): no text here names the command line.
SHARED = [ROOT / "core", ROOT / "formats"]


def _cli_words() -> re.Pattern[str]:
    commands = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert "list" in commands and "init" in commands
    names = "|".join(map(re.escape, commands))
    return re.compile(rf"(?<![\w-])--[a-z]|\bphoner (?:{names})\b")


def _docstrings(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def test_no_text_in_core_names_a_cli_flag_or_command() -> None:
    """Every string literal (error messages and hints, labels they are built from, reject
    reasons, audit notes) except docstrings; comments are not literals."""
    cli = _cli_words()
    found = []
    for folder in SHARED:
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docs = _docstrings(tree)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docs
                    and cli.search(node.value)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert found == []


def test_the_check_finds_a_flag_and_a_command() -> None:
    cli = _cli_words()
    assert cli.search("Godkend alligevel med --force.")
    assert cli.search("Genåbn listen: phoner list reopen")
    assert not cli.search("phoner virker på SQLite; ring igen i morgen - eller senere.")

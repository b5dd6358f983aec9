"""The dependency direction of ARCHITECTURE.md holds at run time, not only on paper."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import phoner.core
import phoner.formats


def _modules(pkg: object) -> list[str]:
    path = pkg.__path__  # type: ignore[attr-defined]
    prefix = pkg.__name__ + "."  # type: ignore[attr-defined]
    return [m.name for m in pkgutil.walk_packages(path, prefix)]


def test_headless_modules_do_not_import_textual() -> None:
    modules = _modules(phoner.core) + _modules(phoner.formats)
    assert "phoner.core.models" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'textual', 'typer'}"
        " or m.startswith('phoner.tui'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_cli_help_does_not_import_the_tui() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from phoner.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"


def test_pre_commit_runs_the_same_checks_as_make_check() -> None:
    """.pre-commit-config.yaml and `make check` must not drift apart."""
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ncheck:", 1)[1].split("\n\n", 1)[0]
    make_tools = {
        " ".join(line.split()[:2]).replace("$(BIN)/", "")
        for line in recipe.splitlines()[1:]
        if line.startswith("\t")
    }
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [h for repo in config["repos"] for h in repo["hooks"]]
    hook_tools = {" ".join(h["entry"].split()[:2]).replace(".venv/bin/", "") for h in hooks}
    assert make_tools, "make check has no recipe lines"
    assert make_tools == hook_tools


def test_no_module_is_over_800_lines() -> None:
    """Modules are split by job before they grow past what one can read (issue 16)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "phoner"
    sizes = {
        str(p.relative_to(root)): len(p.read_text(encoding="utf-8").splitlines())
        for p in root.rglob("*.py")
        if "migrations/versions" not in p.as_posix()
    }
    assert len(sizes) > 50
    assert {name: n for name, n in sizes.items() if n > 800} == {}


def _imported_modules(tree: ast.AST) -> list[str]:
    """Every module an ``import`` or ``from ... import`` names (relative imports resolved
    to a leading dot, which is itself a finding: tests import by absolute path)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append("." * node.level + (node.module or ""))
            elif node.module == "tests":
                found += [f"tests.{alias.name}" for alias in node.names]
            elif node.module:
                found.append(node.module)
    return found


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in tests/support; fixtures in a conftest.py, found by pytest,
    never imported by module path (issue 16, point 7)."""
    tests = Path(__file__).resolve().parent
    bad = {}
    for path in sorted(tests.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        wrong = [
            m
            for m in _imported_modules(tree)
            if m.startswith(".")
            or (m.startswith("tests.") and m.split(".")[1] != "support")
            or m == "tests"
        ]
        if wrong:
            bad[str(path.relative_to(tests))] = wrong
    assert bad == {}


def test_the_tui_imports_no_table_class() -> None:
    """The TUI gets frozen data from core, never ORM rows: from phoner.core.models it
    imports enums and constants only (issue 16, point 8). A screen or use case that needs
    a row by id inside a session asks phoner.core.lookups."""
    from sqlmodel import SQLModel

    from phoner.core import models

    def is_model(name: str) -> bool:
        value = getattr(models, name, None)
        return isinstance(value, type) and issubclass(value, SQLModel)

    root = Path(__file__).resolve().parents[1] / "phoner" / "tui"
    bad: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        aliases = set()  # names the module itself goes by: models, _models
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "phoner.core.models":
                found += [a.name for a in node.names if a.name == "*" or is_model(a.name)]
            elif isinstance(node, ast.ImportFrom) and node.module == "phoner.core":
                aliases |= {a.asname or a.name for a in node.names if a.name == "models"}
            elif isinstance(node, ast.Import):
                found += [a.name for a in node.names if a.name == "phoner.core.models"]
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and is_model(node.attr)
            ):
                found.append(f"{node.value.id}.{node.attr}")
        if found:
            bad[str(path.relative_to(root))] = found
    assert is_model("Company") and not is_model("ClearingState")
    assert bad == {}

"""The dependency direction of ARCHITECTURE.md holds at run time, not only on paper."""

from __future__ import annotations

import ast
import contextlib
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
    imports enums and constants only (issue 16, point 8). What it needs by id it gets from
    a core use case taking ``db`` (see test_no_orm_row_reaches_the_tui)."""
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


def _is_table(tp: object) -> bool:
    from sqlmodel import SQLModel

    return isinstance(tp, type) and issubclass(tp, SQLModel) and hasattr(tp, "__table__")


def _tables_in(tp: object, seen: set[int]) -> set[str]:
    """The table classes ``tp`` can hold: through unions, generics, aliases, and the
    annotated fields of phoner's own classes (a frozen row holding an ORM row)."""
    import dataclasses
    import typing

    if id(tp) in seen:
        return set()
    seen.add(id(tp))
    if _is_table(tp):
        return {tp.__name__}  # type: ignore[union-attr]
    found: set[str] = set()
    for arg in typing.get_args(tp):
        found |= _tables_in(arg, seen)
    origin = typing.get_origin(tp)
    if origin is not None:
        found |= _tables_in(origin, seen)
    if isinstance(tp, type) and tp.__module__.startswith("phoner."):
        hints: dict[str, object] = {}
        with contextlib.suppress(Exception):  # a class without resolvable annotations
            hints = typing.get_type_hints(tp)
        if dataclasses.is_dataclass(tp) or tp.__module__.startswith("phoner.tui"):
            for name, hint in hints.items():
                found |= {f"{tp.__name__}.{name}: {t}" for t in _tables_in(hint, seen)}
    return found


def _signature_tables(obj: object, seen: set[int]) -> set[str]:
    import typing

    try:
        hints = typing.get_type_hints(obj)
    except Exception:
        return set()
    return {t for hint in hints.values() for t in _tables_in(hint, seen)}


def test_no_orm_row_reaches_the_tui() -> None:
    """No ORM row crosses into the TUI, by type (issue 16, point 7).

    Static and cheap, and independent of which paths the TUI tests happen to run: every
    annotation in phoner.tui (functions, methods, Messages, dataclass fields), and the
    signatures of the core functions and classes a TUI module uses (imported by name or
    reached as ``module.name``), are resolved with typing.get_type_hints and expanded
    through unions, generics and the fields of phoner's classes. None may reach a table
    class. A runtime check in the workers would only see the paths a test runs, and the
    workers post Messages rather than return results; mypy strict keeps the hints honest.
    Only phoner.tui.usecases opens a session: a screen calls a use-case function taking
    ``db``.
    """
    import importlib
    import inspect
    import pkgutil

    import phoner.tui

    bad: dict[str, set[str]] = {}
    sessions: dict[str, int] = {}
    for info in pkgutil.walk_packages(phoner.tui.__path__, "phoner.tui."):
        module = importlib.import_module(info.name)
        path = Path(inspect.getfile(module))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used: list[object] = []
        for value in vars(module).values():  # what it defines or imports by name
            if (inspect.isfunction(value) or inspect.isclass(value)) and getattr(
                value, "__module__", ""
            ).startswith("phoner."):
                used.append(value)
                if inspect.isclass(value) and value.__module__ == module.__name__:
                    used += [
                        m
                        for m in vars(value).values()
                        if inspect.isfunction(m) or inspect.isclass(m)
                    ]
        for node in ast.walk(tree):  # what it reaches as core_module.name
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                owner = vars(module).get(node.value.id)
                if inspect.ismodule(owner) and owner.__name__.startswith("phoner.core"):
                    target = getattr(owner, node.attr, None)
                    if target is not None:
                        used.append(target)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "session"
                and info.name != "phoner.tui.usecases"  # the coordinator screens' door
            ):
                sessions[info.name] = sessions.get(info.name, 0) + 1
        found: set[str] = set()
        for obj in used:
            if _is_table(obj):
                found.add(getattr(obj, "__name__", repr(obj)))
            elif inspect.isclass(obj):
                found |= _tables_in(obj, set())
                init = vars(obj).get("__init__")
                if inspect.isfunction(init):
                    found |= _signature_tables(init, set())
            elif callable(obj):
                found |= {
                    f"{getattr(obj, '__qualname__', obj)}: {t}"
                    for t in _signature_tables(obj, set())
                }
        if found:
            bad[info.name] = found
    import pprint

    pprint.pprint(bad, width=150)
    pprint.pprint(sessions)
    assert bad == {}
    assert sessions == {}

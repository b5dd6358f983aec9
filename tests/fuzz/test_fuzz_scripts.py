"""Invalid call scripts give located problems, never a crash.

Start from the shipped ``scripts/fleksjob.toml`` and break it: structurally (delete a
key, give a field a value of the wrong type, duplicate or drop questions, point ``next``
anywhere, add unknown fields) and textually (cut, repeat or insert characters and bytes).
Whatever comes out, :func:`check_script` returns problems with a location and a Danish
message (or none), :func:`load_script` raises :class:`ScriptError` with the same
problems or returns a script that can be walked from start to every ending.
"""

from __future__ import annotations

import copy
import datetime as dt
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from phoner.core.call_scripts import (
    ScriptError,
    ScriptWalk,
    check_script,
    load_script,
    outcome_paths,
)

REPO = Path(__file__).resolve().parents[2]
SOURCE = (REPO / "scripts" / "fleksjob.toml").read_bytes()
DOC = tomllib.loads(SOURCE.decode("utf-8"))


# --------------------------------------------------------------------------- a TOML writer


def _str(value: str) -> str:
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_str(str(k))} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(prefix: str, table: dict[str, Any], lines: list[str]) -> None:
    for key, value in table.items():
        if not (isinstance(value, dict) or _is_tables(value)):
            lines.append(f"{_str(key)} = {_value(value)}")
    for key, value in table.items():
        name = f"{prefix}.{_str(key)}" if prefix else _str(key)
        if isinstance(value, dict):
            lines.append(f"[{name}]")
            _table(name, value, lines)
        elif _is_tables(value):
            for item in value:
                lines.append(f"[[{name}]]")
                _table(name, item, lines)


def dumps(doc: dict[str, Any]) -> str:
    lines: list[str] = []
    _table("", doc, lines)
    return "\n".join(lines) + "\n"


def test_the_writer_round_trips_the_shipped_script() -> None:
    assert tomllib.loads(dumps(DOC)) == DOC


# --------------------------------------------------------------------------- mutations

values = st.one_of(
    st.text(max_size=15),
    st.sampled_from(["", " ", "vil_kontaktes", "Vil kontaktes", "rette_person", "0", "10", "1"]),
    st.integers(-5, 12),
    st.booleans(),
    st.dates(),
    st.lists(st.text(max_size=5), max_size=3),
    # fresh objects each time: st.just({}) would hand out one shared dict, which the
    # mutations change in place, so later examples would not replay (Hypothesis flakiness)
    st.builds(dict),
    st.builds(list),
    st.builds(lambda: [{}]),
    st.floats(allow_nan=False),
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*path, i)))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def broken_docs(draw: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(doc, path)
        action = draw(st.sampled_from(["delete", "replace", "replace", "duplicate", "unknown"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["nxt", "Text", "outcomes", "æøå", "id2"]))] = draw(values)
    return doc


def _check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "manuskript.toml"
        path.write_bytes(data)
        problems = check_script(path)
        for p in problems:
            assert isinstance(p.location, str) and p.location.strip(), p
            assert isinstance(p.message, str) and p.message.strip(), p
        try:
            script = load_script(path)
        except ScriptError as exc:
            assert problems, "load_script refused a script check_script passed"
            assert exc.problems == problems
            assert str(path) in exc.message
            return
    assert problems == []
    # a valid script can be walked: every path from the start ends in an outcome
    paths = outcome_paths(script)
    assert paths
    for trails in paths.values():
        for trail in trails:
            walk = ScriptWalk(script)
            for _qid, key in trail:
                walk.answer(key)
            assert walk.finished and walk.outcome is not None


@settings(max_examples=200, deadline=None)
@given(doc=broken_docs())
def test_structural_mutations(doc: dict[str, Any]) -> None:
    _check(dumps(doc).encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_textual_mutations(data: st.DataObject) -> None:
    text = bytearray(SOURCE)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["cut", "insert", "bytes", "repeat"]))
        if kind == "cut":
            del text[at : at + data.draw(st.integers(1, 200))]
        elif kind == "insert":
            chunk = data.draw(st.sampled_from(['"', "[", "]]", "=", "\n[[question]]\n", "\\", "#"]))
            text[at:at] = chunk.encode()
        elif kind == "bytes":
            text[at:at] = data.draw(st.binary(min_size=1, max_size=4))
        else:
            text[at:at] = text[at : at + data.draw(st.integers(1, 300))]
    _check(bytes(text))


def test_the_shipped_script_is_valid() -> None:
    _check(SOURCE)

"""Command tables read wherever they go: wide into a pipe, by row on a narrow terminal."""

from __future__ import annotations

import click
from sqlmodel import select
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core.db import Database
from phoner.core.models import Consultant
from tests.support.booking import make_world

runner = CliRunner()


def _list(db_url: str, env: dict[str, str]) -> str:
    result = runner.invoke(app, ["--db", db_url, "consultants", "list"], env=env)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return click.unstyle(result.stdout)


def test_consultants_list_into_a_pipe_keeps_each_row_whole(db: Database, db_url: str) -> None:
    make_world(db)
    with db.session() as s:
        consultants = s.exec(select(Consultant)).all()
    out = _list(db_url, {"COLUMNS": "80", "TTY_COMPATIBLE": "0"})
    # Rich cut every heading and e-mail at 80 columns ("Kons…", "fati…")
    assert "…" not in out
    for c in consultants:
        assert any(c.name in line and c.email in line for line in out.splitlines())


def test_consultants_list_on_a_narrow_terminal_is_one_block_per_consultant(
    db: Database, db_url: str
) -> None:
    make_world(db)
    with db.session() as s:
        consultants = s.exec(select(Consultant)).all()
    out = _list(db_url, {"COLUMNS": "80", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"})
    lines = out.splitlines()
    assert "…" not in out and all(len(line) <= 80 for line in lines)
    for c in consultants:
        at = [line.rstrip() for line in lines].index(c.name)  # the name: a heading
        assert lines[at + 1].split() == ["E-mail:", c.email]
    # a wide terminal gets the table
    wide = _list(db_url, {"COLUMNS": "250", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"})
    assert any(
        "Konsulent" in line and "E-mail" in line and "Levering" in line
        for line in wide.splitlines()
    )

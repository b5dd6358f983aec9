"""What every command needs: the open database, output helpers, and error handling."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from phoner.commands.danish import danish_usage_error, make_danish, translate_error
from phoner.commands.hints import cli_hint
from phoner.config import Settings, load_settings
from phoner.core.db import Database, open_database
from phoner.core.errors import PhonerError, from_os_error, write_crash_log


@dataclass
class AppState:
    """Per-invocation state built by the root callback from --db and the environment."""

    settings: Settings
    _db: Database | None = field(default=None, repr=False)

    def db(self, *, check: bool = True) -> Database:
        if self._db is None:
            self._db = open_database(self.settings.db_url, check=check)
        elif check:
            self._db.check_current()
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState(settings=load_settings())
        root.call_on_close(root.obj.close)
    return root.obj


def echo_json(payload: Any) -> None:
    """Exactly one JSON object on stdout (machine-readable output)."""
    typer.echo(json.dumps(payload, ensure_ascii=False, default=str))


#: ``ctx.meta`` key: the command line asked for ``--json`` (errors then print JSON too).
JSON_KEY = "phoner_json"


def wants_json(args: list[str]) -> bool:
    """Whether ``--json`` is among the options of a command line (not after ``--``)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def _print_error(exc: PhonerError, *, as_json: bool = False) -> None:
    """The Danish message and hint on stderr; with ``--json`` also one JSON object on
    stdout, so a script reading stdout gets an answer (the exit code says it failed)."""
    typer.secho(f"Fejl: {exc.message}", fg="red", err=True)
    hint = cli_hint(exc)
    if hint:
        typer.echo(hint, err=True)
    if as_json:
        echo_json({"error": exc.message, "hint": hint})


def _json_usage_error(exc: TyperException) -> None:
    """With ``--json``, a usage error (exit code 2) also prints its JSON object."""
    if exc.exit_code != 2 or getattr(exc, "_phoner_json", False):
        return
    shown = getattr(exc, "show")  # noqa: B009 (a ClickException's, not typed on TyperException)

    def show(file: Any = None) -> None:
        shown(file)
        echo_json({"error": translate_error(exc.format_message()), "hint": None})

    setattr(exc, "show", show)  # noqa: B010
    setattr(exc, "_phoner_json", True)  # noqa: B010


class PhonerGroup(TyperGroup):
    """Root command group: turns every failure into a Danish message and an exit code."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        make_danish(self)  # Danish help pages for this command and all under it
        as_json = wants_json(list(args))
        try:
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        except TyperException as exc:
            danish_usage_error(exc)
            if as_json:
                _json_usage_error(exc)
            raise
        ctx.meta[JSON_KEY] = as_json
        return ctx

    def invoke(self, ctx: Any) -> Any:
        as_json = bool(ctx.meta.get(JSON_KEY))
        try:
            return super().invoke(ctx)
        except PhonerError as exc:
            _print_error(exc, as_json=as_json)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise  # output piped to e.g. head: Typer ends quietly
            fs_error = from_os_error(exc)
            _print_error(fs_error, as_json=as_json)
            raise typer.Exit(fs_error.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("Afbrudt.", err=True)
            raise typer.Exit(130) from None
        except TyperException as exc:
            danish_usage_error(exc)
            if as_json:
                _json_usage_error(exc)
            raise
        except (Exit, Abort):
            raise
        except Exception as exc:
            if os.environ.get("PHONER_DEBUG"):
                raise
            log = write_crash_log(exc)
            typer.secho(
                "Fejl: phoner stødte på en uventet fejl og stoppede. Intet halvt gemt er "
                "skrevet til databasen.",
                fg="red",
                err=True,
            )
            typer.echo(f"Detaljer til udviklerne er gemt i {log}.", err=True)
            if as_json:
                echo_json(
                    {
                        "error": "phoner stødte på en uventet fejl og stoppede.",
                        "hint": f"Detaljer til udviklerne er gemt i {log}.",
                    }
                )
            raise typer.Exit(70) from None


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def print_table(table: Table) -> None:
    """A table on stdout, readable wherever it goes.

    - Into a file or a pipe: as wide as the table wants, so no cell is cut or wrapped
      (``grep`` finds a whole row on one line).
    - On a terminal wide enough for every column's longest word: the table, cells wrapped.
    - On a terminal narrower than that (80 columns and a wide table), where Rich would cut
      every heading to "Kons…": one block per row, each cell under its heading.
    """
    console = Console()
    # measured unbounded: Rich clamps a measurement to the width it is given
    wants = Console(width=100_000).measure(table)
    if not console.is_terminal:
        Console(width=max(wants.maximum, console.width)).print(table)
        return
    if wants.minimum <= console.width:
        console.print(table)
        return
    console.print(_as_records(table))


def _as_records(table: Table) -> Group:
    """``table`` as one block per row: the first cell in bold, then "Heading: cell"."""
    parts: list[RenderableType] = []
    if table.title:
        parts.append(Text.from_markup(str(table.title), style="bold"))
    columns = table.columns
    for cells in zip(*(list(c.cells) for c in columns), strict=True):
        block = Table.grid(padding=(0, 1))
        block.add_column(style="dim", no_wrap=True)
        block.add_column()
        parts.append(Text(""))
        first = str(cells[0])
        # a bare number ("1") is read by its heading ("Nr. 1")
        heading = f"{columns[0].header} {first}" if first.isdigit() else first
        parts.append(Text.from_markup(heading, style="bold"))
        for column, cell in zip(columns[1:], cells[1:], strict=True):
            block.add_row(f"  {column.header}:", cell)
        parts.append(block)
    if table.caption:
        parts.extend([Text(""), Text.from_markup(str(table.caption))])
    return Group(*parts)

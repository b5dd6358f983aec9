"""The command line's frame is Danish: every help page and the usage errors."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from phoner.cli import app
from phoner.commands.danish import translate_error

runner = CliRunner()

ENGLISH_FRAME = re.compile(
    r"Usage:|Options:|Arguments:|Commands:|Show this message|\[required\]|\[default:|"
    r"\[env var:|<str>|<int>|<path>|<list\[str\]>|\{[a-z_]+\}|\[OPTIONS\]|Error:|Try '|"
    r"<int range>|<float range>|x>=|x<=|<=x|Input should|; default:"
)


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_every_help_page_is_danish() -> None:
    paths = _command_paths()
    assert len(paths) > 40  # the whole tree, not just the top
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        out = result.output
        assert out.startswith(f"Brug: phoner {' '.join(path)}".rstrip()), (path, out)
        assert "Vis denne hjælp og afslut." in out, path
        assert not ENGLISH_FRAME.search(out), (path, ENGLISH_FRAME.findall(out))


def test_help_page_shows_danish_metavars_and_markers() -> None:
    out = runner.invoke(app, ["list", "import", "--help"]).output
    assert "Brug: phoner list import [TILVALG] FIL" in out
    assert "Argumenter:\n  FIL " in out
    assert "-c, --campaign TEKST" in out and "[skal angives]" in out
    assert "--rejects STI" in out and "[standard: cli]" in out
    plan = runner.invoke(app, ["rounds", "plan", "--help"]).output  # ranges, in Danish
    assert "--size TAL" in plan and "[mindst 1]" in plan and "[standard: 14; mindst 0]" in plan
    create = runner.invoke(app, ["campaign", "create", "--help"]).output
    assert "[standard: 42; 1-365]" in " ".join(create.split())
    top = runner.invoke(app, ["--help"]).output
    assert "Kommandoer:" in top and "[miljøvariabel: PHONER_DB]" in top


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["list", "import"], "Fejl: Argumentet FIL skal angives."),
        (["list", "import", "x.csv"], "Fejl: Tilvalget '--campaign' / '-c' skal angives."),
        (["list", "import", "x.csv", "-c", "A", "--bogus"], "Fejl: Ukendt tilvalg: --bogus."),
        # Typer raises this one without its context: no usage line to show
        (["list", "import", "x.csv", "-c"], "Fejl: Tilvalget '-c' skal have en værdi."),
        (["lsit"], "Fejl: Ukendt kommando 'lsit'. Mente du 'list'"),
        (["campaign", "list", "ekstra"], "Fejl: For mange argumenter: ekstra."),
        (
            ["campaign", "create", "X", "--script", "s.toml", "--horizon-days", "abc"],
            "Fejl: Ugyldig værdi for '--horizon-days': skal være et helt tal.",
        ),
        (
            ["report", "rounds", "-c", "X", "--format", "pdf"],
            "Fejl: Ugyldig værdi for '--format' / '-f': 'pdf' er ikke en af 'table',",
        ),
        (["--bogus"], "Fejl: Ukendt tilvalg: --bogus."),
        # a number outside the option's range said "Input should be greater than or equal"
        (
            ["rounds", "plan", "-c", "X", "--size", "0"],
            "Fejl: Ugyldig værdi for '--size': skal være mindst 1.",
        ),
        (
            ["campaign", "create", "X", "--script", "s.toml", "--horizon-days", "400"],
            "Fejl: Ugyldig værdi for '--horizon-days': må højst være 365.",
        ),
    ],
)
def test_usage_errors_are_danish(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    if "skal have en værdi" not in expected:
        assert "Se 'phoner" in result.output and "--help' for hjælp." in result.output
        assert "Brug: phoner" in result.output
    assert not ENGLISH_FRAME.search(result.output), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("english", "danish"),
    [
        (
            "Invalid value for '--at': Input should be a valid datetime or date, invalid "
            "character in year",
            "Ugyldig værdi for '--at': skal være et tidspunkt.",
        ),
        (
            "Invalid value for '--day': Input should be a valid date, input is too short",
            "Ugyldig værdi for '--day': skal være en dato (ÅÅÅÅ-MM-DD).",
        ),
        ("Missing option '--campaign' / '-c'.", "Tilvalget '--campaign' / '-c' skal angives."),
        (
            "No such option: --campain (Possible options: --campaign)",
            "Ukendt tilvalg: --campain. Mente du --campaign?",
        ),
    ],
)
def test_value_errors_are_translated(english: str, danish: str) -> None:
    assert translate_error(english) == danish


def test_unknown_english_message_is_kept_rather_than_lost() -> None:
    assert translate_error("Something new from Typer.") == "Something new from Typer."
    assert translate_error("Invalid value for '--x': brand new reason") == (
        "Ugyldig værdi for '--x': brand new reason"
    )

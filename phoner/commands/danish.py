"""Danish help pages and usage errors for the command line.

Typer (and the Click code it vendors) writes the frame of every help page ("Usage:",
"Options:", "Show this message and exit.") and every usage error ("Error: Missing option
'--campaign'") in English, with no message catalog to translate them: the strings are
hard-coded f-strings. phoner's users read Danish, so the CLI puts a Danish frame around
them here, through the two public hooks Click offers: each command's ``context_class``
(whose ``formatter_class`` writes the help page) and the exception's ``show()``. Texts that
are not recognised stay as they are, so an upgrade of Typer can make a message English
again but never break it; ``tests/test_cli_danish.py`` walks every help page to notice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO, Any

import typer

HEADINGS = {
    "Usage": "Brug",
    "Options": "Tilvalg",
    "Arguments": "Argumenter",
    "Commands": "Kommandoer",
}

#: Metavars and argument names as help pages show them, in Danish.
METAVARS = {
    "<str>": "TEKST",
    "<int>": "TAL",
    "<float>": "TAL",
    "<path>": "STI",
    "<list[str]>": "TEKST",
    "<int range>": "TAL",
    "<float range>": "TAL",
    "[OPTIONS]": "[TILVALG]",
    "COMMAND [ARGS]...": "KOMMANDO [ARGUMENTER]...",
}
ARGUMENTS = {
    "file": "FIL",
    "name": "NAVN",
    "booking_id": "BOOKING-ID",
    "followup_id": "OPFØLGNINGS-ID",
    "consultant": "KONSULENT",
}

#: English phrases in the help column -> Danish.
HELP_TEXTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Show this message and exit\."), "Vis denne hjælp og afslut."),
    (re.compile(r"\[required\]"), "[skal angives]"),
    (re.compile(r"\[default: "), "[standard: "),
    (re.compile(r"\[env var: "), "[miljøvariabel: "),
    (re.compile(r"(?<=; )default: "), "standard: "),
    # a range in the help column: "x>=1", "1<=x<=365" -> "mindst 1", "1-365"
    (re.compile(r"(?<=[\[ ])([\d.]+)<=x<=([\d.]+)(?=\])"), r"\1-\2"),
    (re.compile(r"(?<=[\[ ])x>=([\d.]+)(?=\])"), r"mindst \1"),
    (re.compile(r"(?<=[\[ ])x<=([\d.]+)(?=\])"), r"højst \1"),
]

#: Usage errors: English message -> Danish (first match wins; groups are kept).
ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing option (.+?)\.$"), "Tilvalget {0} skal angives."),
    (re.compile(r"^Missing parameter: (.+)$"), "{0} mangler."),
    (
        re.compile(r"^No such option: (\S+) \(Possible options: (.+)\)$"),
        "Ukendt tilvalg: {0}. Mente du {1}?",
    ),
    (re.compile(r"^No such option: (\S+)$"), "Ukendt tilvalg: {0}."),
    (
        re.compile(r"^No such command '(.+)'\. Did you mean (.+)\?$"),
        "Ukendt kommando '{0}'. Mente du {1}?",
    ),
    (re.compile(r"^No such command '(.+)'\.$"), "Ukendt kommando '{0}'."),
    (re.compile(r"^Missing command\.$"), "Angiv en kommando."),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), "Tilvalget '{0}' skal have en værdi."),
    (
        re.compile(r"^Option '(.+)' requires (\d+) arguments\.$"),
        "Tilvalget '{0}' skal have {1} værdier.",
    ),
    (re.compile(r"^Option '(.+)' does not take a value\.$"), "Tilvalget '{0}' tager ingen værdi."),
    (
        re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.+)\)$"),
        "For mange argumenter: {0}. Sæt tekst med mellemrum i anførselstegn.",
    ),
    (re.compile(r"^Invalid value for (.+?): (.+)$"), "Ugyldig værdi for {0}: {1}"),
    (re.compile(r"^Invalid value: (.+)$"), "Ugyldig værdi: {0}"),
]

#: Why a value was refused (the part after "Invalid value for X:").
VALUE_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Input should be greater than or equal to (\S+)$"), "skal være mindst {0}."),
    (re.compile(r"^Input should be less than or equal to (\S+)$"), "må højst være {0}."),
    (re.compile(r"^Input should be greater than (\S+)$"), "skal være større end {0}."),
    (re.compile(r"^Input should be less than (\S+)$"), "skal være mindre end {0}."),
    (re.compile(r"^Input should be a valid integer.*$"), "skal være et helt tal."),
    (re.compile(r"^Input should be a valid number.*$"), "skal være et tal."),
    (re.compile(r"^Input should be a valid datetime.*$"), "skal være et tidspunkt."),
    (re.compile(r"^Input should be a valid date.*$"), "skal være en dato (ÅÅÅÅ-MM-DD)."),
    (re.compile(r"^(?:Value error, )?(.+) is not one of (.+)\.$"), "{0} er ikke en af {1}."),
    (
        re.compile(r"^(?:Value error, )?(.+) does not match the formats? (.+)\.$"),
        "{0} passer ikke til formatet {1}.",
    ),
    (re.compile(r"^(?:File|Path|Directory) (.+) does not exist\.$"), "{0} findes ikke."),
    (re.compile(r"^(?:Value error, )?Value (.+) is not a valid (.+)\.$"), "{0} er ikke gyldig."),
]


def _apply(rules: Sequence[tuple[re.Pattern[str], str]], text: str) -> str | None:
    for pattern, danish in rules:
        m = pattern.match(text)
        if m:
            return danish.format(*m.groups())
    return None


def translate_error(message: str) -> str:
    """The Danish form of a usage error message (the English one if it is not known)."""
    message = message.strip()
    missing = re.fullmatch(r"Missing argument '([a-z_]+)'\.", message)
    if missing:
        return f"Argumentet {_argument(missing[1])} skal angives."
    danish = _apply(ERRORS, message)
    if danish is None:
        return message
    if danish.startswith("Ugyldig værdi"):
        head, _, reason = danish.partition(": ")
        reason_da = _apply(VALUE_ERRORS, reason.strip())
        if reason_da is not None:
            danish = f"{head}: {reason_da}"
    return danish


def _argument(name: str) -> str:
    return ARGUMENTS.get(name, name.upper())


def _metavars(text: str) -> str:
    # an argument's row in the help page reads "file <path>": just its Danish name
    m = re.fullmatch(r"([a-z_]+) <[^>]+>", text.strip())
    if m:
        return _argument(m[1])
    for english, danish in METAVARS.items():
        text = text.replace(english, danish)
    return re.sub(r"\{([a-z_]+)\}", lambda m: _argument(m[1]), text)


def _help_text(text: str) -> str:
    for pattern, danish in HELP_TEXTS:
        text = pattern.sub(danish, text)
    return text


def danish_context_class(base: type[Any]) -> type[Any]:
    """A subclass of the command's context class whose help pages are Danish."""
    if getattr(base, "_phoner_danish", False):
        return base
    formatter_base: type[Any] = base.formatter_class

    class DanishHelpFormatter(formatter_base):  # type: ignore[misc]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, _metavars(args), "Brug: " if prefix is None else prefix)

        def write_heading(self, heading: str) -> None:
            super().write_heading(HEADINGS.get(heading, heading))

        def write_dl(self, rows: Sequence[tuple[str, str]], *args: Any, **kw: Any) -> None:
            rows = [(_metavars(first), _help_text(second)) for first, second in rows]
            super().write_dl(rows, *args, **kw)

    class DanishContext(base):  # type: ignore[misc]
        _phoner_danish = True
        formatter_class = DanishHelpFormatter

    return DanishContext


def make_danish(command: Any) -> None:
    """Give ``command`` and every command under it Danish help pages."""
    command.context_class = danish_context_class(command.context_class)
    for sub in getattr(command, "commands", {}).values():
        make_danish(sub)


def danish_usage_error(exc: typer.TyperException) -> None:
    """Make a usage error print itself in Danish (it is shown by Typer's main loop).

    Usage errors are the command-line mistakes Typer reports with exit code 2 (a wrong
    option, a missing value); any other exception is left as it is.
    """
    if exc.exit_code != 2 or getattr(exc, "_phoner_danish", False):
        return
    if type(exc).__name__ == "NoArgsIsHelpError":
        return  # the help page itself, shown as it is
    ctx = getattr(exc, "ctx", None)
    message = translate_error(exc.format_message())

    def show(file: IO[Any] | None = None) -> None:
        lines = []
        if ctx is not None:
            lines.append(ctx.get_usage())
            if ctx.command.get_help_option(ctx) is not None:
                lines.append(f"Se '{ctx.command_path} {ctx.help_option_names[0]}' for hjælp.")
            lines.append("")
        lines.append(f"Fejl: {message}")
        typer.echo("\n".join(lines), file=file, err=file is None)

    # an instance attribute wins over the class's show(), which Typer's main loop calls
    setattr(exc, "show", show)  # noqa: B010
    setattr(exc, "_phoner_danish", True)  # noqa: B010


YES = frozenset({"j", "ja", "y", "yes"})
NO = frozenset({"n", "nej", "no"})


def confirm(question: str, *, default: bool = False) -> bool:
    """Ask a yes/no question in Danish (``[j/N]``); a Dane answers ``j``.

    Click's ``confirm`` asks ``[y/N]``, refuses ``j`` with "Error: invalid input" and ends
    with "Aborted!". Here ``j``/``ja``/``n``/``nej`` (and the English forms) are answers,
    anything else asks again, and Enter takes the default. Ctrl+C or end of input is
    "Afbrudt." with exit code 1.
    """
    suffix = " [J/n]" if default else " [j/N]"
    while True:
        try:
            answer = typer.prompt(question + suffix, default="", show_default=False)
        except typer.Abort:
            typer.echo("\nAfbrudt.", err=True)
            raise typer.Exit(1) from None
        word = str(answer).strip().casefold()
        if not word:
            return default
        if word in YES or word in NO:
            return word in YES
        typer.echo("Svar j (ja) eller n (nej).", err=True)

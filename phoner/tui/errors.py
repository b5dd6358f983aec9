"""How the TUI words a failure: core's message, and a hint that fits the TUI.

Core's errors say what went wrong (``message``) and often how to fix it (``hint``); many
hints name a CLI command or flag ("brug --force", "phoner list reopen"), which a phoner in
the TUI cannot use. The TUI keeps core's hint when it names no command, and otherwise
chooses its own by the error's type (or the screen's own, passed by the caller).
"""

from __future__ import annotations

import re

from phoner.core.errors import (
    DatabaseError,
    FileSystemError,
    PhonerError,
    SchemaOutOfDate,
    from_os_error,
    write_crash_log,
)
from phoner.tui.i18n import t

#: A hint meant for the command line: a flag (``--force``) or a command (``phoner init``).
_CLI = re.compile(r"(?<![\w-])--[a-z]|\bphoner [a-z]|\bpip install\b|\bcreatedb\b")

#: The TUI's hint (a catalog key) by error type, most specific first; used when core's
#: hint is meant for the command line.
TYPE_HINTS: tuple[tuple[type[PhonerError], str], ...] = (
    (SchemaOutOfDate, "hint.schema"),
    (DatabaseError, "hint.database"),
    (FileSystemError, "hint.files"),
)


def names_cli(hint: str) -> bool:
    """Whether a hint tells the user to type a command or a flag."""
    return bool(_CLI.search(hint))


def tui_hint(exc: PhonerError, hint: str | None = None) -> str | None:
    """The hint to show with ``exc``: the caller's, core's if it fits the TUI, or ours."""
    if hint:
        return hint
    if not exc.hint or not names_cli(exc.hint):
        return exc.hint
    for kind, key in TYPE_HINTS:
        if isinstance(exc, kind):
            return t(key)
    return t("hint.elsewhere")


def error_text(exc: BaseException, hint: str | None = None) -> str:
    """What the notification says: message and hint, or where the crash log is."""
    if isinstance(exc, OSError):
        exc = from_os_error(exc)
    if isinstance(exc, PhonerError):
        shown = tui_hint(exc, hint)
        return exc.message if not shown else f"{exc.message}\n{shown}"
    return t("app.error_unexpected", path=write_crash_log(exc))

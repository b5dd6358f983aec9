"""How the TUI words a failure: core's message, and a hint that fits the TUI.

Core's errors say what went wrong (``message``), and their ``hint`` names no CLI flag or
command (a test keeps it so). Where the fix depends on the front end, core raises a
specific type, and the TUI chooses its own advice for it here (the CLI does the same in
:mod:`phoner.commands.hints`); a screen may pass more specific advice of its own.
"""

from __future__ import annotations

from phoner.core.errors import (
    ActorMissing,
    AlreadySignedOff,
    CompanyNotBookable,
    DatabaseFolderMissing,
    DatabaseMissingOnServer,
    DatabaseUnopenable,
    DatabaseUnreachable,
    EmptyList,
    NotADatabase,
    PhonerError,
    SchemaOutOfDate,
    UnreviewedProposals,
    from_os_error,
    write_crash_log,
)
from phoner.tui.i18n import t

#: The TUI's advice (a catalog key) by error type, most specific first; it replaces core's
#: hint. Types not listed show core's hint (or none).
TYPE_HINTS: tuple[tuple[type[PhonerError], str], ...] = (
    (SchemaOutOfDate, "hint.schema"),
    (DatabaseFolderMissing, "hint.database"),
    (DatabaseUnopenable, "hint.database"),
    (NotADatabase, "hint.database"),
    (DatabaseUnreachable, "hint.database"),
    (DatabaseMissingOnServer, "hint.database"),
    (AlreadySignedOff, "hint.signed_off"),
    (UnreviewedProposals, "hint.unreviewed"),
    (EmptyList, "hint.empty_list"),
    (ActorMissing, "hint.actor"),
    (CompanyNotBookable, "hint.not_bookable"),
)


def tui_hint(exc: PhonerError, hint: str | None = None) -> str | None:
    """The hint to show with ``exc``: the caller's, the TUI's for its type, or core's."""
    if hint:
        return hint
    for kind, key in TYPE_HINTS:
        if isinstance(exc, kind):
            return t(key)
    return exc.hint


def error_text(exc: BaseException, hint: str | None = None) -> str:
    """What the notification says: message and hint, or where the crash log is."""
    if isinstance(exc, OSError):
        exc = from_os_error(exc)
    if isinstance(exc, PhonerError):
        shown = tui_hint(exc, hint)
        return exc.message if not shown else f"{exc.message}\n{shown}"
    return t("app.error_unexpected", path=write_crash_log(exc))

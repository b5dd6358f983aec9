"""User-facing failures.

Every failure a user can cause or fix is a :class:`PhonerError` carrying a Danish message
that says what went wrong, where (file, row, column) and what to do. The CLI prints the
message and exits non-zero; the TUI shows it as a notification. Anything else escaping to
the user is a bug.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import traceback
from pathlib import Path


class PhonerError(Exception):
    """A failure with a message a jobcenter worker can act on."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class NotFound(PhonerError):
    """A named campaign, jobcenter, consultant or company does not exist."""


class AlreadyExists(PhonerError):
    """Creating something that already exists under that name."""


class InvalidInput(PhonerError):
    """Bad input from a file or a command line option."""


class DatabaseError(PhonerError):
    """The database cannot be opened, is read-only, full or out of date."""

    exit_code = 3


class SchemaOutOfDate(DatabaseError):
    """The database was made by another version of phoner: run ``phoner init``."""


class Conflict(PhonerError):
    """Someone else got there first (a company claimed, a slot booked)."""


class RuleViolation(PhonerError):
    """A request breaks a campaign rule (booking horizon, working hours, ...)."""


class FileSystemError(PhonerError):
    """A file or folder phoner had to read or write could not be used."""


#: Why the operating system refused, in words a jobcenter worker can act on.
_OS_REASONS = {
    errno.EACCES: "adgang nægtet",
    errno.EPERM: "adgang nægtet",
    errno.ENOSPC: "disken er fuld",
    errno.EDQUOT: "diskkvoten er brugt op",
    errno.EROFS: "drevet er skrivebeskyttet",
    errno.EEXIST: "der ligger allerede en fil med det navn",
    errno.ENOTDIR: "en del af stien er en fil, ikke en mappe",
    errno.EISDIR: "det er en mappe, ikke en fil",
    errno.ENOENT: "findes ikke",
    errno.ENAMETOOLONG: "navnet er for langt",
}


def os_reason(exc: OSError) -> str:
    """Why the operating system refused, in Danish where the reason is a common one."""
    return _OS_REASONS.get(exc.errno or 0, exc.strerror or str(exc))


def from_os_error(exc: OSError) -> FileSystemError:
    """A Danish :class:`FileSystemError` for an operating-system refusal, naming the path."""
    reason = os_reason(exc)
    if exc.filename:
        message = f"Filen eller mappen {exc.filename} kan ikke bruges: {reason}."
    else:
        message = f"Styresystemet afviste handlingen: {reason}."
    return FileSystemError(
        message, hint="Ret stien eller rettighederne, eller frigør plads, og prøv igen."
    )


#: Lines of a driver's error text that carry the values of a statement, not its shape:
#: SQLAlchemy's ``[parameters: ...]`` (one line: a repr) and PostgreSQL's DETAIL/CONTEXT
#: (``Key (email)=(...) already exists``).
_VALUE_LINES = re.compile(
    r"^[ \t]*(\[parameters: .*|\[SQL parameters .*|DETAIL: .*|CONTEXT: .*|HINT: .*)$",
    re.MULTILINE,
)
_REMOVED = "[værdier udeladt: de kan være persondata]"


def scrub_values(text: str) -> str:
    """``text`` without the lines of a database error that carry statement values."""
    return _VALUE_LINES.sub(_REMOVED, text)


def crash_report(exc: BaseException) -> str:
    """The traceback of ``exc`` for a crash log: code locations and error types, never
    the values a statement carried (they may be a contact's name, e-mail or a note)."""
    return scrub_values("".join(traceback.format_exception(exc)))


def write_crash_log(exc: BaseException) -> Path:
    """Write an unexpected failure's traceback to a temp file the user can send on.

    The CLI and the TUI both show the user only a Danish sentence naming this file. The
    file is readable by its owner only (mkstemp) and holds no parameter values.
    """
    fd, name = tempfile.mkstemp(prefix="phoner-fejl-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(crash_report(exc))
    return Path(name)

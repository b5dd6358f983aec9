"""User-facing failures.

Every failure a user can cause or fix is a :class:`PhonerError` carrying a Danish message
that says what went wrong and where (file, row, column). The CLI prints the message and
exits non-zero; the TUI shows it as a notification. Anything else escaping to the user is
a bug.

How to fix it depends on the front end (a flag and a command line in the CLI, a key or a
screen in the TUI), so core never names either: ``hint`` is only advice that holds in both
("Forkort teksten"). Where the fix differs, core raises a specific subclass below (or an
:class:`InvalidInput` with the machine ``field`` of the option it refuses), and the CLI
(:mod:`phoner.commands.hints`) and the TUI (:mod:`phoner.tui.errors`) each choose their own
advice by type. A test keeps flags and ``phoner <command>`` lines out of core's errors.
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
    """Bad input from a file or an option; ``field`` names the option (``"size"``)."""

    def __init__(self, message: str, *, hint: str | None = None, field: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.field = field


class DatabaseError(PhonerError):
    """The database cannot be opened, is read-only, full or out of date."""

    exit_code = 3


class SchemaOutOfDate(DatabaseError):
    """The database was made by another version of phoner: run ``phoner init``."""


class Conflict(PhonerError):
    """Someone else got there first (a company claimed, a slot booked)."""


class RuleViolation(PhonerError):
    """A request breaks a campaign rule (booking horizon, working hours, ...)."""


class CompanyNotBookable(RuleViolation):
    """The jobcenter removed the company in clearing, or it is outside the campaign's
    target group: a visit is booked only as a deliberate exception, named and audited."""


class FileSystemError(PhonerError):
    """A file or folder phoner had to read or write could not be used."""


class PortUnavailable(PhonerError):
    """The server cannot listen on the address and port it was given (taken, not allowed,
    or not an address of this machine)."""


# ------------------------------------------------ failures whose fix the front end words


class ActorMissing(InvalidInput):
    """Who acts was not given (the CLI's ``--by``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="by")


class CampaignNotFound(NotFound):
    """No campaign has that name."""


class CampaignExists(AlreadyExists):
    """A campaign with that name exists already."""


class ScriptMissing(InvalidInput):
    """The campaign's call script file does not exist."""


class CompanyNotFound(NotFound):
    """No company on the campaign's list has that CVR number."""


class ConsultantNotFound(NotFound):
    """No consultant has that e-mail or name."""


class VisitNotFound(NotFound):
    """No visit (booking) has that number."""


class FollowUpNotFound(NotFound):
    """No follow-up has that number."""


class AgreementNotFound(NotFound):
    """No visit result records that agreement for the company."""


class RoundNotFound(NotFound):
    """The campaign has no round with that number."""


class JobcenterWithoutList(NotFound):
    """A jobcenter that has no companies on any list yet."""


class AlreadySignedOff(Conflict):
    """The jobcenter's list is signed off: it must be reopened before it changes."""


class UnreviewedProposals(Conflict):
    """Sign-off refused: proposed removals the jobcenter has not decided on."""


class EmptyList(InvalidInput):
    """Sign-off refused: the jobcenter has no companies in the campaign."""


class NothingToPlan(InvalidInput):
    """No signed-off, kept company is without a round."""


class NotAClearingSheet(InvalidInput):
    """A file without the clearing sheet's columns."""


class ColumnMissing(InvalidInput):
    """A list without a column for a required field (name, phone)."""


class DatabaseFolderMissing(DatabaseError):
    """The folder of the SQLite file does not exist."""


class DatabaseUnopenable(DatabaseError):
    """The database file cannot be opened (path or permissions)."""


class NotADatabase(DatabaseError):
    """The file is not a phoner database, or it is damaged."""


class DatabaseUnreachable(DatabaseError):
    """The database server refuses the connection."""


class DatabaseMissingOnServer(DatabaseError):
    """The server has no database of that name."""


class DatabaseNotCreated(SchemaOutOfDate):
    """No database yet (an empty one, or no SQLite file)."""


class NotAPhonerDatabase(SchemaOutOfDate):
    """A database with tables that are not phoner's."""


class SchemaTooOld(SchemaOutOfDate):
    """Made by an older phoner: upgrade the schema."""


class SchemaTooNew(SchemaOutOfDate):
    """Made by a newer phoner: update phoner."""


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

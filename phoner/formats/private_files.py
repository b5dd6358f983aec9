"""Files and folders holding personal data, created readable by their owner only.

Every file phoner writes may hold contact persons' names, phone numbers or notes: the
database (and SQLite's -wal/-shm, which SQLite creates with the database file's mode),
backups, calendar feeds, rejects files, exports, reports and e-mails. They are created
0600 and the folders phoner creates 0700, whatever the process's umask, so another
local user cannot read them. A file that already exists is made 0600 when phoner
rewrites it; a folder that already exists keeps its mode (the user chose it). A database
file phoner opens (and its -wal and -shm) is tightened to 0600 when this user owns it
(:func:`tighten`): one created by an earlier version or by hand stays 0644 otherwise.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as 0700 folders (existing ones untouched)."""
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # created by another process meanwhile
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask
    if not path.is_dir():
        path.mkdir()  # raises the OS's own error (a file where the folder belongs)
    return path


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists as a 0600 file (created empty when missing; its content
    is kept) so that whatever writes it by name afterwards never makes it readable to
    others. The parent folder is created (0700) when missing."""
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return path


@contextlib.contextmanager
def open_private(path: Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """``open()`` for writing a 0600 file (truncated), parent folders created 0700."""
    if not set(mode) & {"w", "a", "x"}:
        raise ValueError("open_private is for writing")
    private_file(path)
    with open(path, mode, **kwargs) as fh:
        yield fh


def write_private_bytes(path: Path, data: bytes) -> Path:
    with open_private(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_private_text(
    path: Path, text: str, *, encoding: str = "utf-8", newline: str = ""
) -> Path:
    with open_private(path, "w", encoding=encoding, newline=newline) as fh:
        fh.write(text)
    return Path(path)


def restrict(path: Path) -> None:
    """Take the group's and others' access away from an existing file (best effort: a
    file owned by someone else keeps its mode)."""
    with contextlib.suppress(OSError):
        os.chmod(path, PRIVATE_FILE_MODE)


def tighten(path: Path) -> bool:
    """Make an existing file 0600 when this user owns it and the group or others have any
    access; returns whether its mode was changed. A missing file, or one owned by somebody
    else (whose mode is theirs to choose), is left alone."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
        return False
    if not stat.S_IMODE(st.st_mode) & 0o077:
        return False
    try:
        os.chmod(path, PRIVATE_FILE_MODE)
    except OSError:
        return False
    return True

"""What every importer fuzz test checks, and how many examples it draws."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, settings

from phoner.core.errors import PhonerError
from phoner.formats.tabular import read_table
from tests.support.fuzz.safety import csv_problems

#: Examples per importer; PHONER_FUZZ_EXAMPLES=2000 for a long hunt before a release.
EXAMPLES = int(os.environ.get("PHONER_FUZZ_EXAMPLES", "80"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=False,
)

_PYTHON_TALK = ("invalid literal", "Traceback", "object has no", "Error:", "NoneType")


def rows_seen(path: Path) -> int | None:
    """How many data rows the table reader sees (rows handed on + rows it refused), or
    None when it refuses the file."""
    try:
        return read_table(path).read
    except PhonerError:
        return None


def danish(reasons: Sequence[str]) -> None:
    """Reject reasons are for a jobcenter worker, not Python's own messages."""
    for reason in reasons:
        assert reason.strip()
        assert not any(t in reason for t in _PYTHON_TALK), reason


def rejects_safe(path: Path | None) -> None:
    """The rejects file written back for fixing is injection-safe."""
    if path is not None and path.exists():
        assert csv_problems(path) == []

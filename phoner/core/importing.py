"""The frame every importer shares: where the rejects go.

Invariant of every importer: bad input never loses good data. A bad row is rejected with
its line and a Danish reason; the rest goes in; the rejects are written next to the input
(``NAME.afviste.csv``) with the original columns, so the user can fix and re-import them.
"""

from __future__ import annotations

from pathlib import Path


def default_rejects_path(path: Path) -> Path:
    """``liste.csv`` -> ``liste.afviste.csv`` next to the input."""
    return path.with_name(f"{path.stem}.afviste.csv")

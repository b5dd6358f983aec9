"""What the importer fuzz tests' ``base`` fixture (tests/fuzz/conftest.py) hands them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from phoner.core.db import Database


@dataclass
class Base:
    db: Database
    campaign_id: int
    campaign_name: str
    cvrs: list[str]
    booking_ids: list[int]
    folder: Path

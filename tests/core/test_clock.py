"""Copenhagen time: the one zone (core.clock) and how times are written (core.display)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from phoner.core import clock, display


@pytest.mark.parametrize(
    ("day", "hour_utc"),
    [(dt.date(2027, 3, 26), 8), (dt.date(2027, 3, 29), 7), (dt.date(2027, 10, 31), 8)],
)
def test_local_to_utc_across_dst(day: dt.date, hour_utc: int) -> None:
    ts = clock.local_to_utc(day, dt.time(9, 0))
    assert ts.tzinfo is dt.UTC and ts.hour == hour_utc
    assert clock.to_local(ts).hour == 9


def test_parse_and_format_local() -> None:
    ts = clock.parse_local("2027-03-30 09:15")
    assert ts == dt.datetime(2027, 3, 30, 7, 15, tzinfo=dt.UTC)
    assert display.format_local(ts) == "tir 2027-03-30 kl. 09:15"
    with pytest.raises(ValueError):
        clock.parse_local("30-03-2027 9")
    with pytest.raises(ValueError):
        clock.to_local(dt.datetime(2027, 1, 1))


def test_today_is_the_copenhagen_day_not_the_utc_one() -> None:
    """Just after midnight in Denmark it is still yesterday in UTC: "today" (the
    suppression cut-off, a contact date) must be the Danish day."""
    just_after_midnight = dt.datetime(2027, 6, 1, 22, 30, tzinfo=dt.UTC)  # 00:30 on 2 June
    assert clock.local_today(just_after_midnight) == dt.date(2027, 6, 2)
    assert just_after_midnight.date() == dt.date(2027, 6, 1)


def test_local_day_bounds_cover_a_dst_day() -> None:
    start, end = clock.local_day_bounds(dt.date(2027, 3, 28))  # summer time starts
    assert start == dt.datetime(2027, 3, 27, 23, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(hours=23)


def test_format_stamp() -> None:
    assert (
        display.format_stamp(dt.datetime(2027, 3, 30, 7, 15, tzinfo=dt.UTC)) == "30.03.2027 09:15"
    )


def test_only_the_clock_module_builds_the_zone(tmp_path: Path) -> None:
    """ruff's banned-api rule (TID251, make check) refuses ZoneInfo outside core/clock.py."""
    root = Path(__file__).resolve().parents[2]
    probe = tmp_path / "elsewhere.py"
    probe.write_text("from zoneinfo import ZoneInfo\n\nTZ = ZoneInfo('Europe/Copenhagen')\n")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--config",
            str(root / "pyproject.toml"),
            "--select",
            "TID251",
            str(probe),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "phoner.core.clock" in out.stdout

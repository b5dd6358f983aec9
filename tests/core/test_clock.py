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
    assert display.format_local(ts) == "tir 30.03.2027 kl. 09.15"
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
        display.format_stamp(dt.datetime(2027, 3, 30, 7, 15, tzinfo=dt.UTC))
        == "30.03.2027 kl. 09.15"
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


def test_one_danish_convention_for_dates_and_times() -> None:
    """A date is 03.12.2026, a time 08.30 (Danish: a full stop), a moment has 'kl.'."""
    ts = dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC)  # 08.30 in Copenhagen
    assert display.format_date(ts) == "03.12.2026"
    assert display.format_date(dt.date(2026, 12, 3)) == "03.12.2026"
    assert display.format_day(dt.date(2026, 12, 3)) == "tor 03.12.2026"
    assert display.format_time(ts) == "08.30"
    assert display.format_time(dt.time(9, 5)) == "09.05"
    assert display.format_local(ts) == "tor 03.12.2026 kl. 08.30"
    assert display.format_stamp(ts) == "03.12.2026 kl. 08.30"
    end = ts + dt.timedelta(hours=1)
    assert display.format_slot(ts, end) == "tor 03.12.2026 kl. 08.30–09.30"
    assert display.format_span(ts, end) == "torsdag den 03.12.2026 kl. 08.30–09.30"
    assert display.format_near(ts, now=ts) == "i dag kl. 08.30"
    assert display.format_near(ts, now=ts - dt.timedelta(days=1)) == "i morgen kl. 08.30"
    assert display.format_near(ts, now=ts - dt.timedelta(days=3)) == "tor 03.12.2026 kl. 08.30"


def test_no_module_formats_a_date_for_people_on_its_own() -> None:
    """Dates and times for people come from phoner.core.display (machine formats aside)."""
    import re

    root = Path(display.__file__).parents[1]
    human = re.compile(r"%d[-.]%m|%H:%M|:%d\.%m")
    allowed = {"core/display.py", "core/outcomes_import.py", "core/clock.py"}
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel in allowed:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if human.search(line) and "strptime" not in line and "fmt in" not in line:
                offenders.append(f"{rel}:{n}: {line.strip()}")
    machine = {  # machine formats: JSON, spreadsheet round trips, SQLite storage
        "core/consultants.py",
        "commands/consultants.py",
        "formats/tabular.py",
        "core/lists/bulk_insert.py",
    }
    offenders = [o for o in offenders if o.split(":")[0] not in machine]
    assert offenders == []

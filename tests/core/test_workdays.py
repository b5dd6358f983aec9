"""Danish working days and holidays."""

from __future__ import annotations

import datetime as dt

from phoner.core import workdays as wd


def test_easter_2027_and_closed_days() -> None:
    assert wd.holiday_name(dt.date(2027, 3, 29)) == "Anden påskedag"
    assert wd.is_holiday(dt.date(2027, 3, 26))  # langfredag
    assert wd.is_holiday(dt.date(2026, 6, 5))  # grundlovsdag: jobcentre lukket
    assert wd.is_holiday(dt.date(2026, 12, 24))
    assert not wd.is_holiday(dt.date(2026, 5, 1))
    # Store bededag was abolished from 2024
    assert not wd.is_holiday(dt.date(2024, 4, 26))
    assert wd.is_holiday(dt.date(2023, 5, 5))


def test_working_days_skip_weekends_and_holidays() -> None:
    mon = dt.date(2027, 3, 22)
    assert wd.add_working_days(mon, 2) == dt.date(2027, 3, 24)
    # Wednesday before Easter + 1 working day: Thu/Fri/Mon are holidays -> Tuesday
    assert wd.add_working_days(dt.date(2027, 3, 24), 1) == dt.date(2027, 3, 30)
    assert wd.add_working_days(dt.date(2026, 11, 27), 2) == dt.date(2026, 12, 1)  # Fri -> Tue
    assert wd.add_working_days(mon, 0) == mon
    assert wd.subtract_working_days(dt.date(2027, 3, 30), 1) == dt.date(2027, 3, 24)
    assert wd.add_working_days(dt.date(2027, 3, 30), -1) == dt.date(2027, 3, 24)
    assert wd.working_days_between(mon, dt.date(2027, 3, 30)) == 3

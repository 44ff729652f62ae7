"""The working-day calendar: weekends computed, holidays and transfers as data (ГК РФ ст.193)."""
import datetime as dt
import json

import pytest

from accruals.domain import calendar
from accruals.domain.calendar import CalendarError, CalendarYear, WorkingCalendar, default_calendar, is_working_day, next_working_day

D = dt.date

# Official annual totals of working days (five-day week) of the production calendars.
WORKING_DAYS_PER_YEAR = {2020: 248, 2021: 247, 2022: 247, 2023: 247, 2024: 248, 2025: 247, 2026: 247,
                         2027: 247}  # 2027: from the adopted transfers, not checked against the primary text
STATUTORY = ["01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-07", "01-08",
             "02-23", "03-08", "05-01", "05-09", "06-12", "11-04"]


def test_the_data_covers_2020_to_2027():
    assert default_calendar().years == tuple(range(2020, 2028))


@pytest.mark.parametrize("year, expected", sorted(WORKING_DAYS_PER_YEAR.items()))
def test_working_days_per_year_match_the_production_calendar(year, expected):
    assert default_calendar().working_days_in(year) == expected


@pytest.mark.parametrize("year", range(2020, 2028))
def test_every_year_lists_the_statutory_holidays(year):
    holidays = default_calendar().year(year).holidays
    assert {D.fromisoformat(f"{year}-{md}") for md in STATUTORY} <= holidays
    assert all(not is_working_day(day) for day in holidays)


def test_weekends_are_computed():
    assert not is_working_day(D(2025, 3, 15))      # Saturday
    assert not is_working_day(D(2025, 3, 16))      # Sunday
    assert is_working_day(D(2025, 3, 17))          # Monday
    assert default_calendar().non_working_reason(D(2025, 3, 16)) == "воскресенье"


def test_new_year_holidays_2026_run_from_31_december_to_11_january():
    days = [D(2025, 12, 31)] + [D(2026, 1, n) for n in range(1, 12)]
    assert [is_working_day(day) for day in days] == [False] * 12
    assert is_working_day(D(2025, 12, 30)) and is_working_day(D(2026, 1, 12))
    assert default_calendar().non_working_reason(D(2026, 1, 9)) == "выходной день (перенос)"   # from Sat 3 January


@pytest.mark.parametrize("day", [D(2020, 2, 24), D(2021, 5, 10), D(2022, 3, 7), D(2023, 11, 6), D(2024, 5, 10), D(2025, 5, 8),
                                 D(2025, 6, 13), D(2026, 3, 9), D(2026, 5, 11), D(2027, 11, 5)])
def test_days_off_on_weekdays(day):
    assert day.weekday() < 5
    assert not is_working_day(day)


@pytest.mark.parametrize("day", [D(2021, 2, 20), D(2022, 3, 5), D(2024, 4, 27), D(2024, 11, 2), D(2024, 12, 28), D(2025, 11, 1)])
def test_transferred_working_saturdays_are_working_days(day):
    assert day.weekday() == 5
    assert is_working_day(day)
    assert next_working_day(day) == day


def test_next_working_day_keeps_a_working_day_and_moves_a_non_working_one():
    assert next_working_day(D(2026, 3, 13)) == D(2026, 3, 13)      # Friday
    assert next_working_day(D(2026, 3, 15)) == D(2026, 3, 16)      # Sunday → Monday
    assert next_working_day(D(2026, 1, 10)) == D(2026, 1, 12)      # inside the New Year holidays
    assert next_working_day(D(2024, 12, 29)) == D(2025, 1, 9)      # across the year boundary
    assert next_working_day(D(2024, 5, 10)) == D(2024, 5, 13)      # a transferred day off (Friday)


def test_presidential_non_working_days_are_working_days_unless_asked():
    assert is_working_day(D(2020, 4, 10))                          # Указ № 239: not a day off for ГК ст.193 [ASSUMED]
    strict = WorkingCalendar.load(decree_days_non_working=True)
    assert not strict.is_working_day(D(2020, 4, 10))
    assert strict.non_working_reason(D(2021, 11, 2)) == "нерабочий день (указ Президента)"
    assert strict.next_working_day(D(2020, 4, 10)) == D(2020, 5, 12)


def test_a_year_without_data_is_an_error_not_a_guess():
    with pytest.raises(CalendarError, match="2028"):
        is_working_day(D(2028, 1, 3))
    with pytest.raises(CalendarError):
        next_working_day(D(2019, 12, 31))


def test_inconsistent_data_is_refused():
    with pytest.raises(CalendarError, match="not a Saturday or Sunday"):
        CalendarYear(2025, "", "checked", frozenset(), frozenset(), frozenset({D(2025, 3, 17)}))
    with pytest.raises(CalendarError, match="already non-working"):
        CalendarYear(2025, "", "checked", frozenset(), frozenset({D(2025, 3, 15)}), frozenset())
    with pytest.raises(CalendarError, match="another year"):
        CalendarYear(2025, "", "checked", frozenset({D(2024, 1, 1)}), frozenset(), frozenset())
    with pytest.raises(CalendarError):
        WorkingCalendar([])


def test_the_data_file_is_consistent_with_its_own_transfer_notes():
    data = json.loads(calendar.DATA_FILE.read_text(encoding="utf-8"))
    for year, entry in data["years"].items():
        assert entry["status"] in ("checked", "unverified")
        assert len(entry["transfers"]) >= 2, year
        for day in entry["working_days"]:
            assert D.fromisoformat(day).weekday() >= 5
    assert data["years"]["2027"]["status"] == "unverified"

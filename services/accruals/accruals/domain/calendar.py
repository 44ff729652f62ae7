"""The Russian working-day calendar as data (rules.md §0.1, §2).

Saturdays and Sundays are computed. `data/working_calendar.json` lists, per year, the public
holidays (ТК РФ ст.112 ч.1), the weekdays made days off (a holiday that fell on a weekend,
ст.112 ч.2, and the government's transfers, ст.112 ч.5) and the Saturdays/Sundays made working
days by those transfers. A day is non-working when it is a Saturday or Sunday that is not a
transferred working day, a holiday, or a day off.

The days the President declared non-working in 2020 and 2021 (COVID) are kept in the file too,
but are not non-working days for ГК РФ ст.193 unless the calendar is built with
`decree_days_non_working=True` [ASSUMED; see docs/penalties-subsidies-benefits.md].

A year the file does not cover raises `CalendarError`: a due date is never computed from a guess.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["CalendarError", "CalendarYear", "WorkingCalendar", "default_calendar", "is_working_day", "next_working_day"]

DATA_FILE = Path(__file__).resolve().parent / "data" / "working_calendar.json"
_ONE_DAY = dt.timedelta(days=1)
# No run of non-working days is longer than this (the New Year holidays plus weekends are ~12).
_MAX_RUN = 40


class CalendarError(ValueError):
    """The calendar has no data for a date, or its data is inconsistent."""


@dataclasses.dataclass(frozen=True, slots=True)
class CalendarYear:
    year: int
    act: str
    status: str                                   # "checked" | "unverified" (see the docs)
    holidays: frozenset[dt.date]
    days_off: frozenset[dt.date]
    working_days: frozenset[dt.date]
    decree_non_working: frozenset[dt.date] = frozenset()

    def __post_init__(self):
        for name in ("holidays", "days_off", "working_days", "decree_non_working"):
            for day in getattr(self, name):
                if day.year != self.year:
                    raise CalendarError(f"{self.year}: {name} lists {day}, which is in another year")
        for day in self.working_days:
            if day.weekday() < 5:
                raise CalendarError(f"{self.year}: working day {day} is not a Saturday or Sunday")
            if day in self.holidays:
                raise CalendarError(f"{self.year}: {day} is both a holiday and a working day")
        for day in self.days_off:
            if day.weekday() >= 5:
                raise CalendarError(f"{self.year}: day off {day} is a Saturday or Sunday (already non-working)")
        if self.days_off & self.working_days:
            raise CalendarError(f"{self.year}: {sorted(self.days_off & self.working_days)} both day off and working")


class WorkingCalendar:
    """Working and non-working days for the years in its data."""

    __slots__ = ("_decree", "_years")

    def __init__(self, years: Iterable[CalendarYear], *, decree_days_non_working: bool = False):
        self._years: dict[int, CalendarYear] = {}
        for year in years:
            if year.year in self._years:
                raise CalendarError(f"year {year.year} given twice")
            self._years[year.year] = year
        if not self._years:
            raise CalendarError("a calendar needs at least one year")
        self._decree = decree_days_non_working

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def from_data(cls, data: Mapping, *, decree_days_non_working: bool = False) -> WorkingCalendar:
        """Build from the JSON layout of data/working_calendar.json."""
        years = []
        for key, entry in data["years"].items():
            decree: set[dt.date] = set()
            for span in entry.get("decree_non_working", ()):
                start, end = dt.date.fromisoformat(span["from"]), dt.date.fromisoformat(span["to"])
                decree.update(start + dt.timedelta(days=n) for n in range((end - start).days + 1))
            years.append(CalendarYear(
                year=int(key), act=entry.get("act", ""), status=entry.get("status", "unverified"),
                holidays=_dates(entry.get("holidays", ())), days_off=_dates(entry.get("days_off", ())),
                working_days=_dates(entry.get("working_days", ())), decree_non_working=frozenset(decree),
            ))
        return cls(years, decree_days_non_working=decree_days_non_working)

    @classmethod
    def load(cls, path: Path | str = DATA_FILE, *, decree_days_non_working: bool = False) -> WorkingCalendar:
        with open(path, encoding="utf-8") as handle:
            return cls.from_data(json.load(handle), decree_days_non_working=decree_days_non_working)

    # -- queries ---------------------------------------------------------------------------

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def year(self, year: int) -> CalendarYear:
        try:
            return self._years[year]
        except KeyError:
            raise CalendarError(
                f"no production calendar for {year} (covered: {min(self._years)}–{max(self._years)}); "
                "add the year to accruals/domain/data/working_calendar.json") from None

    def covers(self, day: dt.date) -> bool:
        return day.year in self._years

    def is_working_day(self, day: dt.date) -> bool:
        return self.non_working_reason(day) is None

    def non_working_reason(self, day: dt.date) -> str | None:
        """Why `day` is not a working day ("праздник", "выходной (перенос)", "суббота", …), or None."""
        year = self.year(day.year)
        if day in year.holidays:
            return "нерабочий праздничный день"
        if day in year.days_off:
            return "выходной день (перенос)"
        if self._decree and day in year.decree_non_working:
            return "нерабочий день (указ Президента)"
        if day.weekday() >= 5 and day not in year.working_days:
            return "суббота" if day.weekday() == 5 else "воскресенье"
        return None

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, otherwise the next working day (ГК РФ ст.193)."""
        current = day
        for _ in range(_MAX_RUN):
            if self.is_working_day(current):
                return current
            current += _ONE_DAY
        raise CalendarError(f"no working day within {_MAX_RUN} days from {day}")

    def working_days_in(self, year: int) -> int:
        self.year(year)
        day, end, count = dt.date(year, 1, 1), dt.date(year, 12, 31), 0
        while day <= end:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count


def _dates(values: Iterable[str]) -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(value) for value in values)


@functools.cache
def default_calendar() -> WorkingCalendar:
    """The calendar from the shipped data file (loaded once)."""
    return WorkingCalendar.load()


def is_working_day(day: dt.date, calendar: WorkingCalendar | None = None) -> bool:
    return (calendar or default_calendar()).is_working_day(day)


def next_working_day(day: dt.date, calendar: WorkingCalendar | None = None) -> dt.date:
    """`day` itself when it is a working day, otherwise the next working day (ГК РФ ст.193)."""
    return (calendar or default_calendar()).next_working_day(day)

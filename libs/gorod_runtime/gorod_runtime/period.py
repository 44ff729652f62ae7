"""Settlement periods: calendar months in the region's zone (GOROD_TZ)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclasses.dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __post_init__(self):
        if not 1 <= self.month <= 12 or not 2000 <= self.year <= 2200:
            raise ValueError(f"not a period: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text or "")
        if not match:
            raise ValueError(f"not a period (YYYY-MM): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, instant: dt.datetime, tz: str) -> Period:
        """The period an instant falls in, in zone `tz`."""
        local = instant.astimezone(zoneinfo.ZoneInfo(tz))
        return cls(local.year, local.month)

    @classmethod
    def of_date(cls, day: dt.date) -> Period:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

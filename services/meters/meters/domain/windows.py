"""Submission windows: which period a reading counts for, decided by the server's time in GOROD_TZ."""
from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import zoneinfo

from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period

OUTSIDE = ("next", "refuse")


@dataclasses.dataclass(frozen=True)
class Window:
    first_day: int = 23
    last_day: int = 25          # 31 = the month's last day, whatever its length
    outside: str = "next"       # next: counts for the next window's period; refuse
    supplier_inn: str = ""      # "" = any supplier
    service: str = ""           # "" = any service

    def describe(self) -> str:
        return f"{self.first_day}–{self.last_day}"


def validate(window: Window) -> Window:
    if not 1 <= window.first_day <= 28:
        raise DomainError("window.invalid_days", "the first day is 1 to 28", "first_day")
    if not window.first_day <= window.last_day <= 31:
        raise DomainError("window.invalid_days", "the last day is the first day to 31", "last_day")
    if window.outside not in OUTSIDE:
        raise DomainError("window.invalid_outside", "outside is next or refuse", "outside")
    return window


def choose(windows: dict[tuple[str, str], Window], supplier_inn: str, service: str, default: Window) -> Window:
    """The most specific window: supplier and service, supplier, service, any; else the default."""
    for key in ((supplier_inn, service), (supplier_inn, ""), ("", service), ("", "")):
        if key in windows:
            return windows[key]
    return default


def period_for(window: Window, instant: dt.datetime, tz: str) -> Period:
    """The period a reading taken at `instant` counts for.

    Inside the window (first_day 00:00 to last_day 23:59:59.999999 local): this month. Before
    it, with outside=next: this month too (its window is the next one). After it: the next
    month, or refused with outside=refuse."""
    local = instant.astimezone(zoneinfo.ZoneInfo(tz))
    period = Period(local.year, local.month)
    last_day = min(window.last_day, calendar.monthrange(local.year, local.month)[1])
    if window.first_day <= local.day <= last_day:
        return period
    if window.outside == "refuse":
        raise DomainError(
            "reading.outside_window",
            f"readings are accepted from the {window.first_day}th to the {window.last_day}th of the month", "")
    return period if local.day < window.first_day else period.next()

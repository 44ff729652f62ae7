"""Query results and their rules: which reading counts, consumption per period."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period
from meters.domain.registry import Meter

MAX_ACCOUNTS = 1000
MAX_PERIODS = 36
DEFAULT_HISTORY_PERIODS = 12
DEFAULT_PAGE, MAX_PAGE = 1000, 10000


@dataclasses.dataclass(frozen=True)
class LastReading:
    meter_id: int
    zone: str
    value: Decimal
    period: Period
    submitted_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class MeterView:
    meter: Meter
    last_readings: tuple[LastReading, ...]
    refusal_code: str          # "" when the meter takes readings today


@dataclasses.dataclass(frozen=True)
class HistoryReading:
    reading_id: str
    zone: str
    value: Decimal
    period: Period
    submitted_at: dt.datetime
    source: str
    consumption: Decimal | None
    counts: bool = False


@dataclasses.dataclass(frozen=True)
class ConsumptionRecord:
    account: str
    meter_id: int
    service: str
    unit: str
    zone: str
    period: Period
    value: Decimal
    consumption: Decimal | None


def mark_counting(readings: list[HistoryReading]) -> list[HistoryReading]:
    """Oldest first; the latest reading of each period and zone counts."""
    latest: dict[tuple[Period, str], int] = {}
    for index, r in enumerate(readings):
        latest[(r.period, r.zone)] = index
    chosen = set(latest.values())
    return [dataclasses.replace(r, counts=i in chosen) for i, r in enumerate(readings)]


def history_range(from_period: Period | None, to_period: Period | None, current: Period) -> tuple[Period, Period]:
    to_period = to_period or current.next()
    if from_period is None:
        from_period = to_period
        for _ in range(DEFAULT_HISTORY_PERIODS - 1):
            from_period = previous(from_period)
    if from_period > to_period:
        raise DomainError("history.invalid_range", "the first period is after the last", "from_period")
    return from_period, to_period


def previous(period: Period) -> Period:
    return Period(period.year - (period.month == 1), 12 if period.month == 1 else period.month - 1)


def check_consumption_query(accounts: list[str], periods: list[Period]) -> None:
    if not accounts:
        raise DomainError("accounts.required", "at least one account is required", "accounts")
    if len(accounts) > MAX_ACCOUNTS:
        raise DomainError("accounts.too_many", f"at most {MAX_ACCOUNTS} accounts per call", "accounts")
    if not periods:
        raise DomainError("periods.required", "at least one period is required", "periods")
    if len(periods) > MAX_PERIODS:
        raise DomainError("periods.too_many", f"at most {MAX_PERIODS} periods per call", "periods")


MAX_WITHIN_DAYS = 3660          # verification reminders look at most ten years ahead


def within_days(days: int, default: int) -> int:
    """The reminder horizon in days: 1 to MAX_WITHIN_DAYS, 0 for the default."""
    if days < 0 or days > MAX_WITHIN_DAYS:
        raise DomainError("request.invalid_within_days", f"within_days is 1 to {MAX_WITHIN_DAYS}", "within_days")
    return days or default


def page_limit(limit: int) -> int:
    if limit < 0 or limit > MAX_PAGE:
        raise DomainError("request.invalid_limit", f"limit is 1 to {MAX_PAGE}", "limit")
    return limit or DEFAULT_PAGE

"""Numbers of the charge engine: the Decimal context, rounding to the kopeck, kopecks, days.

rules.md §8: Decimal only; every charge line is rounded to 0.01 ROUND_HALF_UP and totals are
sums of rounded lines. Addition and multiplication of the engine's inputs are exact at the
default precision (28 digits); division and every rounding go through `CTX`, so the results
do not depend on the thread's decimal context.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

from gorod_runtime.period import Period

CTX = Context(prec=28, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
ZERO_MONEY = Decimal("0.00")

_quantize = CTX.quantize
_divide = CTX.divide


def round_money(value: Decimal) -> Decimal:
    """A line's amount: to 0.01 ROUND_HALF_UP (−0.00 becomes 0.00)."""
    amount = _quantize(value, CENT)
    return amount if amount else ZERO_MONEY


def quantize(value: Decimal, quantum: Decimal) -> Decimal:
    return _quantize(value, quantum)


def divide(a: Decimal, b: Decimal) -> Decimal:
    return _divide(a, b)


def kopecks(amount: Decimal) -> int:
    """An amount in roubles (a multiple of 0.01) as an exact integer number of kopecks."""
    scaled = amount.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"not a whole number of kopecks: {amount}")
    return int(scaled)


def total(lines) -> Decimal:
    """The sum of the lines' rounded amounts (rules.md §8: totals are sums of rounded lines)."""
    result = ZERO_MONEY
    for line in lines:
        result += line.amount
    return result


@functools.lru_cache(maxsize=512)
def period_days(period: Period) -> tuple[dt.date, dt.date, int]:
    """(first day, last day, days in the month) of a settlement period."""
    days = calendar.monthrange(period.year, period.month)[1]
    first = dt.date(period.year, period.month, 1)
    return first, first.replace(day=days), days


def month_index(day_or_period) -> int:
    """Months since year 0: the distance between two periods is a subtraction."""
    return day_or_period.year * 12 + day_or_period.month - 1

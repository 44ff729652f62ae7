"""What every computed line carries so that it explains itself, and the money arithmetic the
rule modules share (DESIGN.md «Money, time, numbers», rules.md §8).

An `Explanation` is plain data: the method (the rule and its source), the formula as text, the
inputs as strings and the intermediate values as (label, value) pairs in the order they were
computed. Results build it on demand (a property), so a run that never shows it pays nothing.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "ZERO_MONEY", "Explanation", "fmt", "fmt_date", "money", "round_money", "to_decimal"]

CENT = Decimal("0.01")
ZERO_MONEY = Decimal("0.00")
# Intermediate arithmetic: enough digits that nothing is lost before the one rounding per line.
CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.InvalidOperation, decimal.DivisionByZero])


def to_decimal(value: Decimal | int | str, name: str = "value") -> Decimal:
    """A Decimal from a Decimal, an int or a string; floats are refused (binary fractions)."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"{name}: pass a Decimal, an int or a string, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", "."))
        except decimal.InvalidOperation:
            raise ValueError(f"{name}: not a number: {value!r}") from None
    else:
        raise TypeError(f"{name}: pass a Decimal, an int or a string, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{name}: not a finite number: {value!r}")
    return result


def round_money(value: Decimal) -> Decimal:
    """Round to the kopeck, half up (rules.md §8); −0.00 becomes 0.00."""
    amount = value.quantize(CENT, rounding=ROUND_HALF_UP, context=CONTEXT)
    return amount if amount else ZERO_MONEY


def money(value: Decimal | int | str, name: str = "amount") -> Decimal:
    """An input amount of money as a Decimal with two decimals (must already be whole kopecks)."""
    amount = to_decimal(value, name)
    rounded = round_money(amount)
    if rounded != amount:
        raise ValueError(f"{name}: {value} is not a whole number of kopecks")
    return rounded


def fmt(value: Decimal | int, places: int | None = None) -> str:
    """A number as plain text: no exponent; `places` fixes the decimals (half up)."""
    if isinstance(value, int):
        value = Decimal(value)
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=CONTEXT)
        return f"{value:f}"
    text = f"{value.normalize(context=CONTEXT):f}" if value == value.to_integral_value() else f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


@dataclasses.dataclass(slots=True)  # not frozen: the charge engine builds millions (frozen is ~5× slower)
class Explanation:
    """How a figure was reached: the one explanation type of charges, penalties, subsidies, benefits."""

    formula: str                                   # the formula, as text
    inputs: Mapping[str, str]                      # every input, as text
    steps: tuple[tuple[str, str], ...]             # intermediate values, in order
    notes: tuple[str, ...] = ()                    # settings and caveats
    method: str = ""                               # the rule and its source (charge lines carry theirs on the line)

    def as_dict(self) -> dict:
        result = {"method": self.method} if self.method else {}
        result.update(formula=self.formula, inputs=dict(self.inputs),
                      steps=[list(step) for step in self.steps], notes=list(self.notes))
        return result

    def text(self) -> str:
        lines = [self.method] if self.method else []
        lines.append(f"  формула: {self.formula}")
        lines += [f"  {name} = {value}" for name, value in self.inputs.items()]
        lines += [f"  {label}: {value}" for label, value in self.steps]
        lines += [f"  примечание: {note}" for note in self.notes]
        return "\n".join(lines)

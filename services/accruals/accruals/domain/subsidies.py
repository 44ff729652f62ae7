"""Housing subsidies (субсидии на оплату ЖКУ): ПП РФ 14.12.2005 № 761, ЖК РФ ст.159 (rules.md §3).

    ССЖКУ = РСС на члена семьи (by family size) × n
    СД    = Д / n                              (per-capita income; Д = the family's monthly income)
    К     = СД / ПМ if СД < ПМ, else 1         (поправочный коэффициент)
    С     = base − МДД × К × Д,  base = ССЖКУ (default) or min(ССЖКУ, ФР) (setting)
    С     = max(0, min(С, ФР))                 (never above the actual expenses ФР)

The subsidy is paid by УСЗН in cash; the settlement centre computes it from the charges it
knows. Rounding: only the final amount, to the kopeck half up; К is kept at full precision
unless `k_places` says otherwise [ASSUMED].
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from accruals.domain.explanation import CONTEXT, Explanation, fmt, money, round_money, to_decimal

__all__ = [
    "BASE_MIN_STANDARD_ACTUAL", "BASE_STANDARD", "SubsidyResult", "SubsidySettings", "average_monthly_income",
    "family_subsistence_minimum", "standard_cost_per_member", "subsidy",
]

BASE_STANDARD = "standard"
BASE_MIN_STANDARD_ACTUAL = "min_standard_actual"
METHOD = "ПП РФ 14.12.2005 № 761 п.22–23, ЖК РФ ст.159: субсидия = ССЖКУ − МДД × К × доход семьи"
_ZERO = Decimal("0.00")
_ONE = Decimal(1)


@dataclasses.dataclass(frozen=True, slots=True)
class SubsidySettings:
    # МДД, % of family income. Federal maximum 22 %; Altai Krai's value was not found [ASSUMED 22].
    max_share_pct: Decimal = Decimal(22)
    # The base the family's share is subtracted from: ССЖКУ (default) or min(ССЖКУ, ФР).
    base: str = BASE_STANDARD
    # Decimal places К is rounded to (half up); None keeps full precision [ASSUMED].
    k_places: int | None = None

    def __post_init__(self):
        share = to_decimal(self.max_share_pct, "max_share_pct")
        if not 0 <= share <= 100:
            raise ValueError("max_share_pct must be within 0..100")
        object.__setattr__(self, "max_share_pct", share)
        if self.base not in (BASE_STANDARD, BASE_MIN_STANDARD_ACTUAL):
            raise ValueError(f"base must be {BASE_STANDARD!r} or {BASE_MIN_STANDARD_ACTUAL!r}")
        if self.k_places is not None and not 0 <= self.k_places <= 10:
            raise ValueError("k_places must be 0..10 or None")


DEFAULT_SETTINGS = SubsidySettings()


@dataclasses.dataclass(frozen=True, slots=True)
class SubsidyResult:
    amount: Decimal                               # the subsidy for the month, rounded
    family_size: int
    standard_cost_per_member: Decimal
    standard_cost: Decimal                        # ССЖКУ
    family_income: Decimal                        # Д
    per_capita_income: Decimal                    # СД
    subsistence_minimum: Decimal                  # ПМ per capita
    k: Decimal                                    # 1 when СД ≥ ПМ
    k_applied: bool
    max_share_pct: Decimal                        # МДД
    effective_share: Decimal                      # МДД × К, as a fraction
    family_share: Decimal                         # МДД × К × Д
    base: Decimal                                 # ССЖКУ or min(ССЖКУ, ФР)
    actual_expenses: Decimal                      # ФР
    raw: Decimal                                  # base − family share, before the limits
    base_rule: str

    @property
    def explanation(self) -> Explanation:
        base_text = "ССЖКУ" if self.base_rule == BASE_STANDARD else "min(ССЖКУ; ФР)"
        income, minimum = fmt(self.per_capita_income, 2), fmt(self.subsistence_minimum, 2)
        steps = [
            ("ССЖКУ = РСС × n", f"{fmt(self.standard_cost_per_member, 2)} × {self.family_size} = {fmt(self.standard_cost, 2)}"),
            ("СД = Д / n", f"{fmt(self.family_income, 2)} / {self.family_size} = {fmt(self.per_capita_income, 2)}"),
        ]
        if self.k_applied:
            steps.append(("К = СД / ПМ (СД < ПМ)", f"{income} / {minimum} = {fmt(self.k)}"))
        else:
            steps.append(("К", f"1 (СД {income} ≥ ПМ {minimum}, не применяется)"))
        steps += [
            ("МДД × К", f"{fmt(self.max_share_pct)} % × {fmt(self.k)} = {fmt(self.effective_share)}"),
            ("МДД × К × Д", f"{fmt(self.effective_share)} × {fmt(self.family_income, 2)} = {fmt(self.family_share)}"),
            (f"С = {base_text} − МДД × К × Д", f"{fmt(self.base, 2)} − {fmt(self.family_share)} = {fmt(self.raw)}"),
            ("С = max(0; min(С; ФР)), округление до копейки",
             f"max(0; min({fmt(self.raw)}; {fmt(self.actual_expenses, 2)})) = {fmt(self.amount, 2)}"),
        ]
        return Explanation(
            method=METHOD,
            formula=f"С = max(0; min({base_text} − МДД × К × Д; ФР)), К = СД/ПМ при СД < ПМ, иначе 1",
            inputs={
                "n (членов семьи)": str(self.family_size), "РСС на члена семьи": fmt(self.standard_cost_per_member, 2),
                "Д (доход семьи в месяц)": fmt(self.family_income, 2), "ПМ на душу": fmt(self.subsistence_minimum, 2),
                "МДД, %": fmt(self.max_share_pct), "ФР (фактические расходы)": fmt(self.actual_expenses, 2),
            },
            steps=tuple(steps),
            notes=(f"МДД {fmt(self.max_share_pct)} % (федеральный максимум; значение Алтайского края не найдено) [ASSUMED]",
                   "база: ССЖКУ" if self.base_rule == BASE_STANDARD else "база: min(ССЖКУ; ФР) [настройка]",
                   "округляется только итог, до копейки ROUND_HALF_UP [ASSUMED]"),
        )


def subsidy(
    *,
    family_size: int,
    standard_cost_per_member: Decimal | int | str,
    family_income: Decimal | int | str,
    subsistence_minimum: Decimal | int | str,
    actual_expenses: Decimal | int | str,
    settings: SubsidySettings | None = None,
) -> SubsidyResult:
    """The monthly subsidy of a family (ПП 761). `subsistence_minimum` is per capita for this family."""
    settings = settings or DEFAULT_SETTINGS
    if isinstance(family_size, bool) or not isinstance(family_size, int) or family_size < 1:
        raise ValueError(f"family_size must be a positive integer, not {family_size!r}")
    per_member = money(standard_cost_per_member, "standard_cost_per_member")
    income = to_decimal(family_income, "family_income")
    minimum = to_decimal(subsistence_minimum, "subsistence_minimum")
    actual = money(actual_expenses, "actual_expenses")
    if per_member < 0 or income < 0 or actual < 0:
        raise ValueError("standard cost, income and actual expenses must not be negative")
    if minimum <= 0:
        raise ValueError("subsistence_minimum must be positive")

    n = Decimal(family_size)
    standard = CONTEXT.multiply(per_member, n)
    per_capita = CONTEXT.divide(income, n)
    k_applied = per_capita < minimum
    k = CONTEXT.divide(per_capita, minimum) if k_applied else _ONE
    if k_applied and settings.k_places is not None:
        k = k.quantize(Decimal(1).scaleb(-settings.k_places), rounding=ROUND_HALF_UP)
    share = CONTEXT.multiply(CONTEXT.divide(settings.max_share_pct, Decimal(100)), k)
    family_share = CONTEXT.multiply(share, income)
    base = standard if settings.base == BASE_STANDARD else min(standard, actual)
    raw = CONTEXT.subtract(base, family_share)
    amount = round_money(max(_ZERO, min(raw, actual)))
    return SubsidyResult(
        amount=amount, family_size=family_size, standard_cost_per_member=per_member, standard_cost=standard,
        family_income=income, per_capita_income=per_capita, subsistence_minimum=minimum, k=k, k_applied=k_applied,
        max_share_pct=settings.max_share_pct, effective_share=share, family_share=family_share, base=base,
        actual_expenses=actual, raw=raw, base_rule=settings.base,
    )


def standard_cost_per_member(table: Mapping[int, Decimal | int | str], family_size: int) -> Decimal:
    """The regional standard per member for a family size; the largest size in the table means "and more"."""
    if family_size < 1:
        raise ValueError("family_size must be positive")
    if not table:
        raise ValueError("empty standards table")
    size = min(family_size, max(table))
    if size not in table:
        raise ValueError(f"the standards table has no entry for a family of {size}")
    return money(table[size], f"standard for {size}")


def average_monthly_income(monthly_incomes: Iterable[Decimal | int | str], months: int = 6) -> Decimal:
    """The family's average monthly income over the `months` months before the application [CITED: 6]."""
    values = [to_decimal(value, "monthly income") for value in monthly_incomes]
    if len(values) != months:
        raise ValueError(f"expected the incomes of {months} months, got {len(values)}")
    return CONTEXT.divide(sum(values, Decimal(0)), Decimal(months))


def family_subsistence_minimum(member_minimums: Iterable[Decimal | int | str]) -> Decimal:
    """ПМ per capita of a family: the members' minimums (by their social-demographic group) averaged."""
    values = [to_decimal(value, "subsistence minimum") for value in member_minimums]
    if not values:
        raise ValueError("no members")
    return CONTEXT.divide(sum(values, Decimal(0)), Decimal(len(values)))

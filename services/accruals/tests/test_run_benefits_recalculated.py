"""Benefits in the monthly run on what the period charges: after its part-period and absence recalculations."""
import datetime as dt
from decimal import Decimal

from accruals.domain import benefits as bn
from accruals.domain import subsidies as sb
from accruals.domain.charges import Absence, compute
from accruals.domain.charges.samples import account, svc
from accruals.run import benefits as run_benefits

US = "\x1f"


def discounts(inputs, kinds: str) -> tuple[list, list]:
    lines = compute(inputs)
    extra = run_benefits.lines(lines, inputs, US.join(("1", "50", "discount", kinds, "1", "cat")), None, bn.DEFAULT_SETTINGS,
                               sb.DEFAULT_SETTINGS)
    return lines, extra


def test_a_discount_on_an_area_service_of_an_account_opened_on_the_16th_is_half_of_what_it_owes():
    inputs = account(svc("capital_repair", "capital_repair", "area", "m2"), total_area=Decimal("30.0"), residents=1,
                     registered=1, open_days=(dt.date(2026, 3, 16), dt.date.max))
    lines, extra = discounts(inputs, "capital_repair")
    owed = sum(line.amount for line in lines)
    assert any(line.recalculation for line in lines)
    (benefit,) = extra
    assert benefit.amount == -(owed / 2).quantize(Decimal("0.01"))


def test_a_discount_on_cold_water_by_norm_follows_the_absence_recalculation():
    cold = svc("cold_water", "cold_water", "norm")
    inputs = account(cold, residents=1, registered=1, meter_installable=False,
                     absences=(Absence(1, dt.date(2026, 2, 27), dt.date(2026, 4, 2)),))
    lines, extra = discounts(inputs, "cold_water")
    owed = sum(line.amount for line in lines)
    assert any(line.recalculation for line in lines) and owed == 0
    assert sum(line.amount for line in extra) == 0

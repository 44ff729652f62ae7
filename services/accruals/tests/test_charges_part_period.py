"""An account opened or closed inside the period: lines not from measured volumes are due for its open days."""
import dataclasses
import datetime as dt
from decimal import Decimal

from accruals.domain.charges import compute
from accruals.domain.charges.model import PART_PERIOD
from accruals.domain.charges.samples import account, meter, svc


def apartment():
    """Capital repair by area, cold water by its meter, gas by norm, waste per person."""
    return account(svc("capital_repair", "capital_repair", "area", "m2"), svc("cold_water"), svc("gas", "gas", "norm"),
                   svc("waste", "waste", "per_person", "person"), meters={"cold_water": (meter("5.5"),)})


def lines_of(inputs, open_days=None):
    return compute(dataclasses.replace(inputs, open_days=open_days))


def test_a_flat_opened_on_the_16th_of_march_pays_16_of_31_days_for_area_and_norm_lines():
    inputs = apartment()
    full = lines_of(inputs)
    part = lines_of(inputs, (dt.date(2026, 3, 16), dt.date(9999, 12, 31)))
    regular = [line for line in part if not line.recalculation]
    assert [(x.service_code, x.amount) for x in regular] == [(x.service_code, x.amount) for x in full if not x.recalculation]
    recalculations = [line for line in part if line.reason == PART_PERIOD]
    assert recalculations
    for line in recalculations:
        original = next(x for x in regular if (x.service_code, x.component, x.zone, x.band) ==
                        (line.service_code, line.component, line.zone, line.band))
        assert original.method not in ("meter", "water_sum")
        due = (original.amount * 16 / 31).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert line.amount == due - original.amount
        assert "16 из 31" in line.explanation.notes[0]


def test_open_all_period_or_closed_on_the_last_day_changes_nothing():
    inputs = apartment()
    full = lines_of(inputs)
    assert lines_of(inputs, (dt.date(2020, 1, 1), dt.date(2026, 3, 31))) == full
    assert lines_of(inputs, (dt.date(2026, 3, 1), dt.date(2030, 1, 1))) == full


def test_closed_on_the_first_day_pays_one_day_and_metered_lines_stay():
    inputs = apartment()
    part = lines_of(inputs, (dt.date(2019, 1, 1), dt.date(2026, 3, 1)))
    for line in part:
        if line.reason == PART_PERIOD:
            assert line.method not in ("meter", "water_sum")
    by_key = {}
    for line in part:
        by_key.setdefault((line.service_code, line.component, line.zone, line.band, line.method), []).append(line.amount)
    for amounts in by_key.values():
        if len(amounts) == 2:       # the line and its recalculation: one day of 31 is left
            total = sum(amounts)
            assert abs(total - (amounts[0] / 31)) <= Decimal("0.01")


def test_absence_days_before_the_account_opened_are_not_taken_off_twice():
    """Opened on the 16th of March, all 3 residents away 1–15 March (before it opened, 14 full days):
    the part-period recalculation already leaves out those days, so nothing more is taken off for
    the absence; the waste line is due for 16 of 31 days."""
    from accruals.domain.charges import Absence
    from accruals.domain.charges.model import ABSENCE
    inputs = dataclasses.replace(apartment(), absences=(Absence(3, dt.date(2026, 2, 28), dt.date(2026, 3, 16)),))
    part = lines_of(inputs, (dt.date(2026, 3, 16), dt.date(9999, 12, 31)))
    waste = [line for line in part if line.service_code == "waste"]
    regular = next(line for line in waste if not line.recalculation)
    due = (regular.amount * 16 / 31).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert not [line for line in waste if line.reason == ABSENCE]
    assert sum(line.amount for line in waste) == due


def test_absence_inside_the_open_days_still_counts_for_those_days_only():
    """Closed on the 20th; 3 residents away 9–25 March: away 10–20 while open (11 days)."""
    from accruals.domain.charges import Absence
    inputs = dataclasses.replace(apartment(), absences=(Absence(3, dt.date(2026, 3, 9), dt.date(2026, 3, 26)),))
    part = lines_of(inputs, (dt.date(2020, 1, 1), dt.date(2026, 3, 20)))
    waste = [line for line in part if line.service_code == "waste"]
    regular = next(line for line in waste if not line.recalculation)
    total = sum(line.amount for line in waste)
    assert abs(total - regular.amount * (20 - 11) / 31) <= Decimal("0.02"), waste

"""ТКО per person (rules.md §1.9) and the recalculation for temporary absence (§1.8, п.86–91)."""
import datetime as dt
from decimal import Decimal as D

import pytest

from accruals.domain.charges import Absence, EngineSettings, compute
from accruals.domain.charges import samples as s
from accruals.domain.charges.absence import absent_days

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def away(departed, returned, persons=1):
    return Absence(persons, dt.date(2026, *departed) if isinstance(departed, tuple) else dt.date(2026, 3, departed),
                   dt.date(2026, *returned) if isinstance(returned, tuple) else dt.date(2026, 3, returned))


def test_waste_per_resident():
    [line] = compute(s.account(s.WASTE))
    assert (line.method, line.volume, line.tariff, line.amount) == ("per_person", D("3"), D("62.30"), D("186.90"))


def test_waste_per_registered_is_a_setting():
    [line] = compute(s.account(s.WASTE, residents=2, registered=4), EngineSettings(waste_persons="registered"))
    assert line.amount == D("249.20")
    assert line.explanation.inputs["основание"] == "зарегистрированные"


@pytest.mark.parametrize(("departed", "returned", "days"), [
    (1, 7, 0),            # 5 full days (2..6): not more than 5 -> nothing
    (1, 8, 6),            # 6 full days (2..7)
    (1, 18, 16),          # 16 full days
    ((2, 20), 10, 9),     # from February: only 1..9 March count
    (28, (4, 5), 3),      # into April: 29, 30, 31 March
    ((2, 1), (2, 20), 0),  # all in February
])
def test_days_away_exclude_departure_and_arrival(departed, returned, days):
    a = away(departed, returned)
    assert absent_days(a.departed_on, a.returned_on, *MARCH, 5) == days


def test_waste_absence_16_days_one_person():
    lines = compute(s.account(s.WASTE, absences=(away(1, 18),)))
    charge, recalc = lines
    assert recalc.recalculation and recalc.reason == "absence" and recalc.method == "per_person"
    assert recalc.amount == D("-32.15")                      # 186.90 × 16 / (3 × 31) = 32.1548
    assert recalc.volume == D("-0.516129")
    assert recalc.explanation.inputs == {"V": "3", "T": "62.30", "n": "3", "d": "16", "D": "31"}
    assert recalc.explanation.steps[-1] == ("ΔP, до копейки", "-32.15")


def test_exactly_five_days_no_recalculation_six_days_recalculated():
    assert len(compute(s.account(s.WASTE, absences=(away(1, 7),)))) == 1
    _charge, recalc = compute(s.account(s.WASTE, absences=(away(1, 8),)))
    assert recalc.amount == D("-12.06")                      # 186.90 × 6 / 93 = 12.058


def test_water_by_norm_without_technical_possibility_is_recalculated():
    lines = compute(s.account(s.COLD_WATER, meter_installable=False, absences=(away(1, 18),)))
    charge, recalc = lines
    assert charge.amount == D("469.37")
    assert recalc.amount == D("-80.75")                      # 469.3689 × 16 / 93 = 80.7516
    assert recalc.volume == D("-2.214194")                   # 12.87 × 16 / 93


def test_water_where_a_meter_could_be_installed_is_not_recalculated_but_waste_is():
    lines = compute(s.account(s.COLD_WATER, s.WASTE, meter_installable=True, absences=(away(1, 18),)))
    assert [(line.service_code, line.recalculation) for line in lines] == [
        ("cold_water", False), ("waste", False), ("waste", True)]


def test_metered_water_is_not_recalculated():
    lines = compute(s.account(s.COLD_WATER, meter_installable=False, meters={"cold_water": (s.meter("3"),)},
                              absences=(away(1, 18),)))
    assert len(lines) == 1


def test_hot_water_recalculated_per_component_and_sewage_with_it():
    lines = compute(s.account(s.COLD_WATER, s.HOT_WATER, s.SEWAGE, s.HEATING, meter_installable=False,
                              absences=(away(1, 18, persons=2),)))
    recalcs = {(line.service_code, line.component): line.amount for line in lines if line.recalculation}
    assert set(recalcs) == {("cold_water", ""), ("hot_water", "carrier"), ("hot_water", "heat"), ("sewage", "")}
    assert recalcs[("sewage", "")] == D("-237.79")         # 21.63 × 31.95 × (2 × 16) / (3 × 31) = 237.7905
    assert not any(line.service_code == "heating" and line.recalculation for line in lines)


def test_sewage_recalculated_only_for_the_water_billed_by_norm():
    lines = compute(s.account(s.COLD_WATER, s.HOT_WATER, s.SEWAGE, meter_installable=False,
                              meters={"cold_water": (s.meter("6"),)}, absences=(away(1, 18),)))
    [sewage] = [line for line in lines if line.service_code == "sewage" and line.recalculation]
    # hot water by norm 8.76 of the 14.76 m3: 8.76 × 31.95 × 16 / 93 = 48.15
    assert sewage.amount == D("-48.15")


def test_persons_away_are_capped_at_the_persons_charged():
    _charge, recalc = compute(s.account(s.WASTE, residents=1, registered=1, absences=(away(1, 18, persons=4),)))
    assert recalc.amount == D("-32.15")


def test_several_absences_add_up_in_person_days():
    _charge, recalc = compute(s.account(s.WASTE, absences=(away(1, 8), away(10, 18))))
    assert recalc.explanation.inputs["d"] == "13"             # 6 + 7
    assert len(recalc.explanation.notes) == 3


def test_absence_min_days_is_a_setting():
    lines = compute(s.account(s.WASTE, absences=(away(1, 8),)), EngineSettings(absence_min_days=6))
    assert len(lines) == 1

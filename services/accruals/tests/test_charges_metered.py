"""Формула 1 (rules.md §1.1): metered charge, E-01, tariffs inside the month, variants, errors."""
import datetime as dt
from decimal import Decimal as D

import pytest

from accruals.domain.charges import ChargeError, EngineSettings, MeterState, Tariff, compute, kopecks, total
from accruals.domain.charges import samples as s
from gorod_runtime.period import Period


def test_e01_cold_water_by_meter():
    # E-01: readings 123.456 -> 128.579, tariff 36.47, 2026-03: V = 5.123 m3, P = 186.83581 -> 186.84.
    prev, curr = D("123.456"), D("128.579")
    account = s.account(s.COLD_WATER, meters={"cold_water": (MeterState("m1", current=curr - prev, readings=(prev, curr)),)})
    [line] = compute(account)
    assert line.method == "meter"
    assert line.volume == D("5.123") and str(line.volume) == "5.123"
    assert line.tariff == D("36.47")
    assert line.amount == D("186.84") and str(line.amount) == "186.84"
    assert not line.recalculation
    e = line.explanation
    assert e.inputs["X_пред"] == "123.456" and e.inputs["X_тек"] == "128.579" and e.inputs["T"] == "36.47"
    assert ("V = X_тек − X_пред", "128.579 − 123.456 = 5.123") in e.steps
    assert ("P = V × T", "5.123 × 36.47 = 186.83581") in e.steps
    assert e.steps[-1] == ("P, до копейки", "186.84")
    assert "формула 1" in e.formula


def test_round_half_up_on_the_line():
    # 0.125 × 1 = 0.125 -> 0.13 (half up, not half even)
    account = s.account(s.COLD_WATER, tariffs={"cold_water": (Tariff(D("1")),)}, meters={"cold_water": (s.meter("0.125"),)})
    assert compute(account)[0].amount == D("0.13")


def test_zero_volume_gives_zero():
    [line] = compute(s.account(s.COLD_WATER, meters={"cold_water": (s.meter("0"),)}))
    assert line.amount == 0 and str(line.amount) == "0.00"


def test_gas_by_meter():
    [line] = compute(s.account(s.GAS, meters={"gas": (s.meter("12.5"),)}))
    assert (line.volume, line.amount) == (D("12.5"), D("126.25"))


def test_tariff_valid_on_the_first_by_default_and_split_by_days_on_request():
    # A change on 16 March: 36.47 to 15.03, 40.00 from 16.03; 31 m3 in March.
    tariffs = {"cold_water": (Tariff(D("36.47"), valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 3, 15)),
                              Tariff(D("40.00"), valid_from=dt.date(2026, 3, 16)))}
    account = s.account(s.COLD_WATER, tariffs=tariffs, meters={"cold_water": (s.meter("31"),)})
    [line] = compute(account)
    assert (line.tariff, line.amount) == (D("36.47"), D("1130.57"))
    first, second = compute(account, EngineSettings(tariff_split_by_days=True))
    assert (first.volume, first.tariff, first.amount) == (D("15.000"), D("36.47"), D("547.05"))
    assert (second.volume, second.tariff, second.amount) == (D("16.000"), D("40.00"), D("640.00"))
    assert any("по дням" in note for note in second.explanation.notes)


def test_split_by_days_volumes_add_up():
    tariffs = {"cold_water": (Tariff(D("30"), valid_to=dt.date(2026, 3, 10)), Tariff(D("33"), valid_from=dt.date(2026, 3, 11)))}
    account = s.account(s.COLD_WATER, tariffs=tariffs, meters={"cold_water": (s.meter("7.001"),)})
    lines = compute(account, EngineSettings(tariff_split_by_days=True))
    assert sum(line.volume for line in lines) == D("7.001")
    assert [line.volume for line in lines] == [D("2.258"), D("4.743")]   # 7.001 × 10/31 = 2.2583 -> 2.258


def test_tariff_from_october():
    account = s.account(s.WASTE, period=Period(2026, 10))
    assert compute(account)[0].tariff == D("130.40")


def test_no_tariff_is_an_error_naming_account_and_service():
    account = s.account(s.COLD_WATER, tariffs={}, meters={"cold_water": (s.meter("1"),)})
    with pytest.raises(ChargeError) as caught:
        compute(account)
    assert caught.value.account == "2200000001" and caught.value.service_code == "cold_water"


def test_tariff_not_yet_valid_is_an_error():
    tariffs = {"cold_water": (Tariff(D("36.47"), valid_from=dt.date(2026, 4, 1)),)}
    with pytest.raises(ChargeError, match="no tariff valid"):
        compute(s.account(s.COLD_WATER, tariffs=tariffs, meters={"cold_water": (s.meter("1"),)}))


def test_unknown_kind_and_method_is_an_error():
    with pytest.raises(ChargeError, match="no rule"):
        compute(s.account(s.svc("x", "mystery", method="magic")))


def test_kopecks_is_exact():
    assert kopecks(D("186.84")) == 18684
    assert kopecks(D("-94.82")) == -9482
    assert kopecks(D("0.00")) == 0
    assert kopecks(D("12345678901.99")) == 1234567890199
    with pytest.raises(ValueError):
        kopecks(D("1.005"))


def test_total_is_the_sum_of_rounded_lines():
    # three lines of 0.125 each: rounded 0.13 × 3 = 0.39 (not round(0.375) = 0.38)
    services = (s.svc("a", "cold_water"), s.svc("b", "cold_water"), s.svc("c", "cold_water"))
    tariffs = {code: (Tariff(D("1")),) for code in "abc"}
    meters = {code: (s.meter("0.125"),) for code in "abc"}
    lines = compute(s.account(*services, tariffs=tariffs, meters=meters))
    assert total(lines) == D("0.39")


def test_area_and_fixed_charges():
    fixed = s.svc("intercom", "intercom", method="fixed", unit="month")
    account = s.account(s.CAPITAL_REPAIR, fixed, tariffs={**s.TARIFFS, "intercom": (Tariff(D("55.5")),)})
    repair, intercom = compute(account)
    assert (repair.method, repair.volume, repair.amount) == ("area", D("45.0"), D("704.70"))
    assert (intercom.method, intercom.amount) == ("fixed", D("55.50"))


def test_overlapping_tariffs_are_an_error():
    tariffs = {"cold_water": (Tariff(D("36.47")), Tariff(D("40"), valid_from=dt.date(2026, 2, 1)))}
    with pytest.raises(ChargeError, match="two tariffs"):
        compute(s.account(s.COLD_WATER, tariffs=tariffs, meters={"cold_water": (s.meter("1"),)}))

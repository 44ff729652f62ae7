"""Формулы 4 and 4(1) (rules.md §1.2): charge by norm, × 1.5 where a meter could be installed."""
from decimal import Decimal as D

import pytest

from accruals.domain.charges import ChargeError, EngineSettings, Norm, compute
from accruals.domain.charges import samples as s


def test_e03_cold_water_by_norm_no_technical_possibility():
    # E-03: 3 residents × 4.29 m3 × 36.47, meter cannot be installed: V = 12.87, P = 469.3689 -> 469.37.
    [line] = compute(s.account(s.COLD_WATER, meter_installable=False))
    assert line.method == "norm"
    assert str(line.volume) == "12.87"
    assert line.amount == D("469.37")
    e = line.explanation
    assert e.inputs == {"n": "3", "N": "4.29", "T": "36.47"}
    assert ("V = n × N", "3 × 4.29 = 12.87") in e.steps
    assert "формула 4 " in e.formula


def test_formula_4_1_norm_times_one_and_a_half_where_a_meter_could_be_installed():
    [line] = compute(s.account(s.COLD_WATER, meter_installable=True))
    assert line.method == "norm_increased"
    assert line.volume == D("19.305")            # 3 × 4.29 × 1.5
    assert line.amount == D("704.05")            # 19.305 × 36.47 = 704.05335
    assert line.explanation.inputs["K"] == "0.5"
    assert "4(1)" in line.explanation.formula


def test_k_is_a_setting():
    [line] = compute(s.account(s.COLD_WATER), EngineSettings(increased_norm_k=D("0.2")))
    assert line.volume == D("15.444")            # 12.87 × 1.2


def test_no_increase_for_gas_and_sewage():
    gas, sewage = compute(s.account(s.GAS, s.SEWAGE, meter_installable=True))
    assert (gas.method, gas.volume) == ("norm", D("29.4"))
    assert (sewage.method, sewage.volume) == ("norm", D("21.63"))   # no water services: sewage by its own norm


def test_absent_meter_status_is_no_meter():
    from accruals.domain.charges import MeterState
    meters = {"cold_water": (MeterState("old", status="absent"),)}
    [line] = compute(s.account(s.COLD_WATER, meters=meters, meter_installable=False))
    assert line.method == "norm"


def test_service_method_norm_is_charged_by_norm_even_with_a_meter():
    service = s.svc("cold_water", method="norm")
    [line] = compute(s.account(service, meters={"cold_water": (s.meter("5"),)}, meter_installable=True))
    assert line.method == "norm" and line.volume == D("12.87")


def test_electricity_norm_by_rooms_and_residents():
    # 2 rooms, 3 residents: 77 kWh/person (no stove) -> 231 kWh × 1.5 (meter could be installed)
    [line] = compute(s.account(s.ELECTRICITY, meter_installable=True))
    assert line.volume == D("346.5") and line.tariff == D("6.36")
    [line] = compute(s.account(s.ELECTRICITY, meter_installable=False, electric_stove=True))
    assert line.volume == D("354") and line.tariff == D("5.18")   # 118 × 3, stove norm and stove tariff


def test_norm_table_largest_row_covers_more_rooms_and_residents():
    [line] = compute(s.account(s.ELECTRICITY, meter_installable=False, rooms=6, residents=7))
    assert line.volume == D("441")    # 4+ rooms, 5+ residents: 63 × 7


def test_no_residents_no_charge_even_without_a_norm_row():
    [line] = compute(s.account(s.COLD_WATER, residents=0, norms={}))
    assert line.amount == 0


def test_missing_norm_is_an_error():
    with pytest.raises(ChargeError, match="no norm"):
        compute(s.account(s.COLD_WATER, norms={}))


def test_norm_variant_per_service():
    norms = {"cold_water": (Norm(D("4.29")), Norm(D("3.5"), variant="no_bath"))}
    [line] = compute(s.account(s.COLD_WATER, norms=norms, norm_variants={"cold_water": "no_bath"}, meter_installable=False))
    assert line.volume == D("10.5")

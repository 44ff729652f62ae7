"""Common property (rules.md §1.6: формулы 10, 12, 15, the norm cap, negative → 0) and sewage (§1.1)."""
import dataclasses
from decimal import Decimal as D

import pytest

from accruals.domain.charges import ChargeError, CommonResource, EngineSettings, compute
from accruals.domain.charges import samples as s


def common(resource, settings=None):
    house = dataclasses.replace(s.HOUSE, common={"common_electricity": resource})
    account = s.account(s.COMMON_ELECTRICITY, house=house)
    return compute(account, settings) if settings else compute(account)


def test_formula_15_without_a_house_meter():
    [line] = common(CommonResource(D("0.55")))
    assert (line.method, line.volume, line.amount) == ("norm", D("2.970000"), D("18.89"))   # 0.55 × 360 × 45 / 3000
    assert "формулы 10, 15" in line.explanation.formula
    assert line.explanation.inputs["S_ои"] == "360"


def test_formula_12_house_meter_distribution():
    [line] = common(CommonResource(D("0.55"), D("1000"), D("120"), D("300"), D("500")))
    assert (line.method, line.volume, line.amount) == ("house_meter_share", D("1.200000"), D("7.63"))
    assert ("V_D − ΣV_нежил − ΣV_без ИПУ − ΣV_с ИПУ", "1000 − 120 − 300 − 500 = 80") in line.explanation.steps


def test_negative_distribution_gives_zero():
    [line] = common(CommonResource(D("0.55"), D("800"), D("120"), D("300"), D("500")))
    assert line.volume == 0 and line.amount == 0
    assert any("отрицательное" in note for note in line.explanation.notes)


def test_capped_at_the_norm_unless_the_house_decided_otherwise():
    resource = CommonResource(D("0.55"), D("1420"), D("120"), D("300"), D("500"))
    [capped] = common(resource)
    assert (capped.volume, capped.amount) == (D("2.970000"), D("18.89"))
    [free] = common(dataclasses.replace(resource, cap=False))
    assert (free.volume, free.amount) == (D("7.500000"), D("47.70"))
    [free] = common(resource, EngineSettings(common_property_cap=False))
    assert free.volume == D("7.500000")
    [capped] = common(dataclasses.replace(resource, cap=True), EngineSettings(common_property_cap=False))
    assert capped.volume == D("2.970000")


def test_common_property_without_house_data_is_an_error():
    with pytest.raises(ChargeError, match="common-property"):
        compute(s.account(s.COMMON_ELECTRICITY))


def water(**kw):
    return compute(s.account(s.COLD_WATER, s.HOT_WATER, s.SEWAGE, **kw))


def test_sewage_is_cold_plus_hot_volume():
    lines = water(meters={"cold_water": (s.meter("5.123"),), "hot_water": (s.meter("2.5"),)})
    sewage = lines[-1]
    assert (sewage.service_code, sewage.method, sewage.volume, sewage.amount) == ("sewage", "water_sum", D("7.623"), D("243.55"))
    assert sewage.explanation.inputs == {"V_ХВС": "5.123", "V_ГВС": "2.5", "T": "31.95"}
    assert ("V = V_ХВС + V_ГВС", "5.123 + 2.5 = 7.623") in sewage.explanation.steps


def test_sewage_leaves_out_the_increase_of_formula_4_1():
    sewage = water(meter_installable=True)[-1]
    assert sewage.volume == D("21.63")                       # 12.87 + 8.76, not 19.305 + 13.14
    assert "без повышающего коэффициента" in sewage.explanation.notes[0]
    sewage = compute(s.account(s.COLD_WATER, s.HOT_WATER, s.SEWAGE), EngineSettings(sewage_includes_increase=True))[-1]
    assert sewage.volume == D("32.445")


def test_sewage_keeps_its_place_in_the_service_order():
    lines = compute(s.account(s.SEWAGE, s.COLD_WATER, meters={"cold_water": (s.meter("3"),)}))
    assert [(line.service_code, line.volume) for line in lines] == [("sewage", D("3")), ("cold_water", D("3"))]


def test_sewage_with_its_own_meter():
    lines = water(meters={"cold_water": (s.meter("5"),), "hot_water": (s.meter("2"),), "sewage": (s.meter("6.5"),)})
    assert (lines[-1].method, lines[-1].volume) == ("meter", D("6.5"))


def test_sewage_catch_up_follows_the_water_catch_up():
    cold = s.meter("16.0", ["5.2", "4.8", "5.5", "6.1", "4.9", "5.3", None, None])
    lines = compute(s.account(s.COLD_WATER, s.SEWAGE, meters={"cold_water": (cold,)}))
    sewage = [line for line in lines if line.service_code == "sewage"]
    assert [(line.volume, line.recalculation, line.reason) for line in sewage] == [(D("0"), False, ""),
                                                                                  (D("5.4"), True, "catch_up")]
    assert sewage[1].amount == D("172.53")                  # 5.4 × 31.95

"""Heating (rules.md §1.5: формулы 2 and 3, the season) and two-component hot water (§1.7)."""
from decimal import Decimal as D

import pytest

from accruals.domain.charges import ChargeError, EngineSettings, HouseInputs, Norm, compute
from accruals.domain.charges import samples as s
from gorod_runtime.period import Period


def heating(period=Period(2026, 1), settings=None, **kw):
    account = s.account(s.HEATING, period=period, **kw)
    return compute(account, settings) if settings else compute(account)


def test_formula_2_by_norm_over_area_in_the_season():
    [line] = heating()
    assert (line.method, line.volume, line.tariff, line.amount) == ("area", D("1.17450"), D("3218.46"), D("3780.08"))
    assert line.explanation.inputs == {"S_i": "45.0", "N_T": "0.0261", "T": "3218.46"}
    assert "формула 2" in line.explanation.formula


def test_no_heating_charge_outside_the_season():
    assert heating(Period(2026, 6)) == []
    assert heating(Period(2026, 9)) == []


def test_season_start_and_end_months():
    assert heating(Period(2026, 10))[0].volume == D("1.17450")     # from 1 October: the whole month
    [may] = heating(Period(2026, 5))                                # to 15 May: 15 of 31 days
    assert (may.volume, may.amount) == (D("0.568306"), D("1829.07"))
    assert may.explanation.inputs["d"] == "15"
    [may_full] = heating(Period(2026, 5), EngineSettings(heating_partial_months="full"))
    assert may_full.volume == D("1.17450")


def test_all_year_when_not_season_only():
    assert heating(Period(2026, 7), EngineSettings(heating_season_only=False))[0].volume == D("1.17450")


def test_house_season_dates_are_the_houses():
    house = HouseInputs(total_area=D("3000"), heating_from=(9, 20), heating_to=(5, 10))
    [september] = heating(Period(2026, 9), house=house)
    assert september.explanation.inputs["d"] == "11"


def test_heated_area_setting():
    [line] = heating(settings=EngineSettings(heating_area="heated"), heated_area=D("40.0"))
    assert line.volume == D("1.04400")


def test_formula_3_house_meter_share():
    house = HouseInputs(total_area=D("3000"), has_heat_meter=True, heat_meter_gcal=D("57.0"))
    [line] = heating(house=house)
    assert (line.method, line.volume, line.amount) == ("house_meter_share", D("0.855000"), D("2751.78"))
    assert line.explanation.inputs["V_D"] == "57.0" and line.explanation.inputs["S_об"] == "3000"
    assert "формула 3" in line.explanation.formula


def test_house_meter_without_a_reading_falls_back_to_the_norm():
    house = HouseInputs(total_area=D("3000"), has_heat_meter=True)
    [line] = heating(house=house)
    assert line.method == "area" and any("ОДПУ" in note for note in line.explanation.notes)


def test_heating_norm_missing_is_an_error():
    with pytest.raises(ChargeError, match="heating norm"):
        heating(norms={})


def test_hot_water_two_components():
    carrier, heat = compute(s.account(s.HOT_WATER, meters={"hot_water": (s.meter("2.5"),)}))
    assert (carrier.component, carrier.volume, carrier.unit, carrier.tariff, carrier.amount) == (
        "carrier", D("2.5"), "m3", D("36.47"), D("91.18"))                          # 91.175 -> 91.18
    assert (heat.component, heat.volume, heat.unit, heat.tariff, heat.amount) == (
        "heat", D("0.150"), "Gcal", D("3218.46"), D("482.77"))                      # 2.5 × 0.06 × 3218.46 = 482.769
    assert heat.explanation.inputs["q"] == "0.06"
    assert ("V_тэ = V × q, Гкал", "2.5 × 0.06 = 0.150") in heat.explanation.steps


def test_hot_water_by_norm_both_components_use_the_norm_volume():
    carrier, heat = compute(s.account(s.HOT_WATER, meter_installable=False))
    assert carrier.volume == D("8.76") and heat.volume == D("0.5256")
    assert (carrier.amount, heat.amount) == (D("319.48"), D("1691.62"))


def test_hot_water_heat_norm_default_when_not_in_the_norms():
    norms = {"hot_water": (Norm(D("2.92")),)}
    _carrier, heat = compute(s.account(s.HOT_WATER, norms=norms, meters={"hot_water": (s.meter("1"),)}),
                             EngineSettings(hot_water_heat_norm=D("0.065")))
    assert heat.volume == D("0.065") and "hot_water_heat_norm" in heat.explanation.notes[-1]


def test_hot_water_one_component_tariff():
    from accruals.domain.charges import Tariff
    [line] = compute(s.account(s.HOT_WATER, tariffs={"hot_water": (Tariff(D("180")),)}, meters={"hot_water": (s.meter("2"),)}))
    assert (line.component, line.amount) == ("", D("360.00"))

"""Properties of every result: kopeck lines, totals as sums of rounded lines, explanations."""
import dataclasses
import datetime as dt
import json
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accruals.domain.charges import (
    Absence,
    CommonResource,
    EngineSettings,
    HouseInputs,
    MeterPeriod,
    MeterState,
    Tariff,
    compute,
    kopecks,
    round_money,
    total,
)
from accruals.domain.charges import samples as s
from accruals.domain.charges.model import METHOD_LABELS
from gorod_runtime.period import Period

ALL = (s.COLD_WATER, s.HOT_WATER, s.SEWAGE, s.ELECTRICITY, s.GAS, s.HEATING, s.WASTE, s.CAPITAL_REPAIR, s.COMMON_ELECTRICITY)
METERED = ("cold_water", "hot_water", "sewage", "electricity", "gas")
CENT = D("0.01")


def decimals(high, places):
    return st.decimals(min_value=0, max_value=high, places=places, allow_nan=False, allow_infinity=False)


@st.composite
def meter_states(draw, zone="", zero=False):
    status = draw(st.sampled_from(["active"] * 6 + ["broken", "verification_expired", "absent"]))
    volume = st.just(D("0")) if zero else decimals(600, 3)
    current = draw(st.one_of(st.none(), volume))
    period = Period(2026, 3)
    count = draw(st.integers(0, 14))
    periods = s.months_before(period, count)
    entries = []
    for p in periods:
        value = draw(st.one_of(st.none(), volume))
        billed = draw(volume)
        entries.append(MeterPeriod(p, value, billed, "meter" if value is not None else draw(st.sampled_from(["average", "norm"]))))
    since = draw(st.dates(dt.date(2025, 1, 1), dt.date(2026, 3, 31)))
    return MeterState("m", zone, status, since, current, tuple(entries))


@st.composite
def accounts(draw, zero=False):
    services = tuple(draw(st.lists(st.sampled_from(ALL), min_size=1, max_size=9, unique=True)))
    period = Period(2026, draw(st.integers(1, 12)))
    meters = {}
    for code in METERED:
        if draw(st.booleans()):
            if code == "electricity" and draw(st.booleans()):
                meters[code] = (draw(meter_states("day", zero)), draw(meter_states("night", zero)))
            else:
                meters[code] = (draw(meter_states("", zero)),)
    meters = {code: tuple(dataclasses.replace(m, history=tuple(MeterPeriod(p, e.volume, e.billed, e.method) for p, e in zip(
        s.months_before(period, len(m.history)), m.history, strict=True))) for m in states) for code, states in meters.items()}
    absences = ()
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.dates(period.first_day - dt.timedelta(days=20), period.first_day + dt.timedelta(days=30)))
        absences += (Absence(draw(st.integers(1, 4)), start, start + dt.timedelta(days=draw(st.integers(1, 40)))),)
    heat_meter = draw(st.booleans())
    house = HouseInputs(
        total_area=draw(decimals(20000, 1).filter(lambda v: v >= 500)), common_area=draw(decimals(2000, 1)),
        has_heat_meter=heat_meter, heat_meter_gcal=draw(decimals(400, 3)) if heat_meter else None,
        common={"common_electricity": CommonResource(draw(decimals(2, 3)), draw(st.one_of(st.none(), decimals(5000, 1))),
                                                     draw(decimals(500, 1)), draw(decimals(2000, 1)), draw(decimals(2000, 1)))})
    cold_rate = draw(decimals(100, 6))
    tariffs = dict(s.TARIFFS)
    if draw(st.booleans()):   # a tariff change inside the month
        change = period.first_day + dt.timedelta(days=draw(st.integers(1, 27)))
        tariffs["cold_water"] = (Tariff(cold_rate, valid_to=change - dt.timedelta(days=1)),
                                 Tariff(draw(decimals(100, 6)), valid_from=change))
    else:
        tariffs["cold_water"] = (Tariff(cold_rate),)
    residents = 0 if zero else draw(st.integers(0, 6))
    return s.account(*services, period=period, meters=meters, absences=absences, house=house, tariffs=tariffs,
                     residents=residents, registered=0 if zero else draw(st.integers(0, 6)), rooms=draw(st.integers(1, 5)),
                     total_area=draw(decimals(150, 1).filter(lambda v: v >= 10)),
                     meter_installable=draw(st.booleans()), electric_stove=draw(st.booleans()),
                     settlement=draw(st.sampled_from(["urban", "rural"])))


engine_settings = st.builds(EngineSettings, electricity_ranges=st.sampled_from(["marginal", "whole_volume"]),
                            tariff_split_by_days=st.booleans(), heating_partial_months=st.sampled_from(["by_days", "full"]),
                            waste_persons=st.sampled_from(["residents", "registered"]))


def check_line(line):
    assert line.amount == line.amount.quantize(CENT) and line.amount.as_tuple().exponent == -2
    assert line.method in METHOD_LABELS
    e = line.explanation
    assert e.formula and e.inputs and e.steps
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in e.inputs.items())
    assert all(isinstance(label, str) and isinstance(value, str) for label, value in e.steps)
    assert e.steps[-1][1] == str(line.amount)
    assert line.reason in ("", "catch_up", "absence") and (line.reason == "") == (not line.recalculation)
    if line.reason != "absence":
        assert line.amount == round_money(line.volume * line.tariff)
    json.dumps(line.as_dict(), ensure_ascii=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts(), engine_settings)
def test_lines_are_kopecks_and_totals_are_sums_of_rounded_lines(account, config):
    lines = compute(account, config)
    for line in lines:
        check_line(line)
    assert total(lines) == sum((line.amount for line in lines), D("0.00"))
    assert kopecks(total(lines)) == sum(kopecks(line.amount) for line in lines)
    assert {line.service_code for line in lines} <= {service.code for service in account.services}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts(zero=True), engine_settings)
def test_a_zero_volume_month_gives_zero(account, config):
    account = dataclasses.replace(account, services=tuple(x for x in account.services if x.code in METERED) or (s.COLD_WATER,))
    lines = compute(account, config)
    assert all(line.amount == 0 for line in lines)
    assert total(lines) == 0


@pytest.mark.parametrize("bad", [dict(electricity_ranges="stepwise"), dict(heating_partial_months="half"),
                                 dict(heating_area="living"), dict(waste_persons="owners"),
                                 dict(average_min_months=7), dict(absence_min_days=-1)])
def test_settings_are_validated(bad):
    with pytest.raises(ValueError):
        EngineSettings(**bad)


def test_a_full_account_explains_every_line():
    resource = CommonResource(D("0.55"), D("1000"), D("120"), D("300"), D("500"))
    house = dataclasses.replace(s.HOUSE, common={"common_electricity": resource})
    account = s.account(*ALL, house=house, period=Period(2026, 1), meters={
        "cold_water": (s.meter("5.123", period=Period(2026, 1)),),
        "hot_water": (s.meter(None, ["2.1", "2.5", "2.2", "2.4", "2.6", "2.3"], period=Period(2026, 1)),),
        "electricity": (s.meter("150", zone="day", period=Period(2026, 1)), s.meter("60", zone="night", period=Period(2026, 1)))},
        absences=(Absence(1, dt.date(2026, 1, 3), dt.date(2026, 1, 20)),))
    lines = compute(account)
    for line in lines:
        check_line(line)
    assert [line.method for line in lines] == ["meter", "average", "average", "water_sum", "meter", "meter", "norm",
                                               "area", "per_person", "per_person", "area", "house_meter_share"]

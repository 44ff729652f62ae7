"""п.59 and п.60 (rules.md §1.4): averages, then norms; broken meters; the catch-up (E-06)."""
import datetime as dt
from decimal import Decimal as D

from accruals.domain.charges import EngineSettings, MeterState, compute
from accruals.domain.charges import samples as s
from gorod_runtime.period import Period

E06 = ["5.2", "4.8", "5.5", "6.1", "4.9", "5.3"]
YEAR = ["4.1", "3.9", "4.4", "4.0", "4.2", "3.8"] + E06


def charge(meter, **kw):
    return compute(s.account(s.COLD_WATER, meters={"cold_water": (meter,)}, **kw))


def test_e06_first_month_without_readings_is_billed_by_average():
    [line] = charge(s.meter(None, E06))
    assert line.method == "average"
    assert str(line.volume) == "5.300"
    assert line.amount == D("193.29")
    e = line.explanation
    assert e.inputs["ΣV_i"] == "31.8" and e.inputs["m"] == "6"
    assert ("V, до 0.001", "5.300") in e.steps
    assert "период 1 из 3" in e.notes[0] and "«б»" in e.notes[0]


def test_average_uses_the_last_six_months_only():
    [line] = charge(s.meter(None, YEAR))
    assert line.volume == D("5.300")


def test_third_month_without_readings_is_average_fourth_is_plain_norm():
    [third] = charge(s.meter(None, E06 + [None, None]))
    assert (third.method, third.volume) == ("average", D("5.300"))
    assert "период 3 из 3" in third.explanation.notes[0]
    [fourth] = charge(s.meter(None, E06 + [None, None, None]))
    assert (fourth.method, fourth.volume) == ("norm", D("12.87"))       # case «б»: no coefficient
    assert "4-й период" in fourth.explanation.notes[0]


def test_max_average_periods_is_a_setting():
    account = s.account(s.COLD_WATER, meters={"cold_water": (s.meter(None, E06 + [None]),)})
    [line] = compute(account, EngineSettings(average_max_periods=1))
    assert line.method == "norm"


def test_young_meter_averages_its_actual_period_of_at_least_three_months():
    [line] = charge(s.meter(None, ["3", "4", "5.5"]))
    assert (line.method, line.volume) == ("average", D("4.167"))     # 12.5 / 3
    [line] = charge(s.meter(None, ["3", "4"]))
    assert line.method == "norm" and line.volume == D("12.87")       # under 3 months: norm, no coefficient


def test_a_catch_up_reading_counts_for_all_the_months_it_covers():
    # 4 months of 5, a gap of 2 months, then 15 for those three months: the newest reading
    # covers 3 months, the three before it 1 each -> 30 / 6 = 5 (not (15 + 5 + 5 + 5) / 4).
    volumes = ["5", "5", "5", "5", None, None, "15"]
    [line] = charge(s.meter(None, volumes))
    assert line.volume == D("5.000")
    assert (line.explanation.inputs["ΣV_i"], line.explanation.inputs["m"]) == ("30", "6")


def test_readings_resume_after_average_months_catch_up_charged():
    # last real reading in 2025-12; January and February billed 5.3 each by average;
    # March reading gives 16.0 since the last real reading: 16.0 − 10.6 = 5.4 m3 charged now.
    [line] = charge(s.meter("16.0", E06 + [None, None]))
    assert line.recalculation and line.reason == "catch_up" and line.method == "meter"
    assert line.volume == D("5.4")
    assert line.amount == D("196.94")          # 5.4 × 36.47 = 196.938
    e = line.explanation
    assert e.inputs["V_факт"] == "16.0" and e.inputs["ΣV_начисл"] == "10.6"
    assert "2026-01: average 5.3" in e.inputs["начислено без показаний"]


def test_readings_resume_with_less_than_billed_gives_a_credit():
    [line] = charge(s.meter("8.0", E06 + [None, None]))
    assert line.volume == D("-2.6") and line.amount == D("-94.82")


def test_catch_up_after_norm_months_subtracts_the_norm_volumes():
    volumes = E06 + [None, None, None, None]
    hist = s.history(volumes)
    hist = hist[:-1] + (hist[-1].__class__(hist[-1].period, None, D("12.87"), "norm"),)
    [line] = charge(MeterState("m1", current=D("30"), history=hist))
    assert line.volume == D("30") - D("5.3") * 3 - D("12.87")


def test_broken_meter_average_for_three_periods_from_the_event_then_norm_times_one_and_a_half():
    broken = dict(status="broken", since=dt.date(2026, 1, 10), history=s.history(E06, period=Period(2026, 1)))
    [march] = charge(MeterState("m1", **broken))
    assert march.method == "average" and "«а»" in march.explanation.notes[0] and "период 3 из 3" in march.explanation.notes[0]
    [april] = charge(MeterState("m1", **broken), period=Period(2026, 4))
    assert april.method == "norm_increased" and april.volume == D("19.305")
    assert "п.60" in april.explanation.notes[0] and "неисправен" in april.explanation.notes[0]


def test_broken_meter_readings_are_ignored():
    meter = MeterState("m1", status="broken", since=dt.date(2026, 3, 2), current=D("99"), history=s.history(E06))
    [line] = charge(meter)
    assert line.method == "average" and line.volume == D("5.300")


def test_expired_verification_is_case_a_and_gas_gets_no_coefficient():
    expired = MeterState("g1", status="verification_expired", since=dt.date(2025, 11, 30),
                         history=s.history(E06, period=Period(2025, 11)))
    [water] = charge(expired)
    assert water.method == "norm_increased"      # Nov, Dec, Jan by average; March is the 5th period
    [gas] = compute(s.account(s.GAS, meters={"gas": (expired,)}))
    assert gas.method == "norm" and gas.volume == D("29.4")


def test_zone_registers_each_get_their_average():
    day = s.meter(None, ["100", "110", "120", "130", "140", "150"], zone="day")
    night = s.meter("80", ["50", "50", "50", "50", "50", "50"], zone="night")
    lines = compute(s.account(s.ELECTRICITY, meters={"electricity": (day, night)}))
    assert [(line.zone, line.method, line.volume) for line in lines] == [("day", "average", D("125.000")),
                                                                       ("night", "meter", D("80"))]


def test_a_zone_register_on_norm_puts_the_whole_service_on_norm_at_the_single_rate():
    day = s.meter(None, ["100"] * 6 + [None] * 3, zone="day")
    night = s.meter(None, ["50"] * 6 + [None] * 3, zone="night")
    [line] = compute(s.account(s.ELECTRICITY, meters={"electricity": (day, night)}))
    assert (line.zone, line.method, line.volume, line.tariff) == ("", "norm", D("231"), D("6.36"))

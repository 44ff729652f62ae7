"""Meters across periods: readings by date and the 25th, installation, status changes, replacement,
history given as volumes, and what a calculated period leaves for the next."""
import copy

from accruals import calculator

BASE = {
    "format": "gorod.accruals.scenario/1",
    "account": {"number": "2200000001", "total_area": "45.0", "residents": 2},
    "services": [{"code": "cold_water", "kind": "cold_water", "method": "meter", "unit": "m3"}],
    "tariffs": {"cold_water": [{"rate": "36.47", "valid_from": "2025-01-01"}]},
    "norms": {"cold_water": [{"value": "4.29"}]},
}
SIX_MONTHS = [("2025-06", "200.000"), ("2025-07", "205.200"), ("2025-08", "210.000"), ("2025-09", "215.500"),
              ("2025-10", "221.600"), ("2025-11", "226.500"), ("2025-12", "231.800")]   # 5.2 4.8 5.5 6.1 4.9 5.3 → 5.300


def scenario(meters, periods, **extra) -> dict:
    return {**copy.deepcopy(BASE), "meters": meters, "periods": [{"period": p} for p in periods], **extra}


def methods(result) -> list[tuple]:
    return [tuple((line["method"], line["reason"], line["volume"]) for line in p["lines"]) for p in result["periods"]]


def test_a_reading_after_the_25th_counts_for_the_next_period_and_the_last_of_a_period_wins():
    meters = [{"id": "m1", "service": "cold_water", "readings": [
        {"date": "2026-01-20", "value": "100.000"},
        {"date": "2026-02-10", "value": "102.000"}, {"date": "2026-02-25", "value": "104.000"},   # both February: the last counts
        {"date": "2026-02-26", "value": "104.500"},                                              # after the 25th: March
        {"date": "2026-03-24", "value": "110.000"}]}]                                            # March too, and the last
    result = calculator.calculate(scenario(meters, ["2026-02", "2026-03"]))
    assert methods(result) == [(("meter", "", "4.000"),), (("meter", "", "6.000"),)]


def test_the_25th_is_a_setting():
    meters = [{"id": "m1", "service": "cold_water", "readings": [
        {"date": "2026-01-20", "value": "100.000"}, {"date": "2026-02-23", "value": "104.000"}]}]
    doc = scenario(meters, ["2026-02"], settings={"readings": {"deadline_day": 22}})
    [(line,)] = methods(calculator.calculate(doc))
    assert line == ("norm", "", "8.58")                              # the reading of the 23rd now counts for March


def test_a_meter_installed_in_the_scenario():
    meters = [{"id": "m1", "service": "cold_water", "installed_on": "2026-02-10", "readings": [
        {"date": "2026-02-10", "value": "0.000"}, {"date": "2026-03-24", "value": "5.000"}]}]
    result = calculator.calculate(scenario(meters, ["2026-01", "2026-02", "2026-03"]))
    assert methods(result) == [
        (("norm_increased", "", "12.870"),),     # no meter although one can be installed: формула 4(1)
        (("norm", "", "8.58"),),                 # installed, only its starting reading: no history for an average
        (("meter", "", "5.000"),),               # the first consumption, not a catch-up
    ]


def test_a_broken_meter_then_its_replacement():
    meters = [
        {"id": "old", "service": "cold_water", "statuses": [{"from": "2026-01-10", "status": "broken"},
                                                             {"from": "2026-05-20", "status": "absent"}],
         "readings": [{"period": p, "value": v} for p, v in SIX_MONTHS]},
        {"id": "new", "service": "cold_water", "installed_on": "2026-05-20", "readings": [
            {"date": "2026-05-20", "value": "0.000"}, {"date": "2026-06-24", "value": "4.400"}]},
    ]
    result = calculator.calculate(scenario(meters, ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]))
    assert methods(result) == [
        (("average", "", "5.300"),), (("average", "", "5.300"),), (("average", "", "5.300"),),   # п.59 «а», from January
        (("norm_increased", "", "12.870"),),                                                     # п.60: the norm × 1.5
        (("norm", "", "8.58"),),                                                                 # the new meter's first month
        (("meter", "", "4.400"),),
    ]
    notes = result["periods"][0]["lines"][0]["explanation"]["notes"]
    assert any("прибор учёта неисправен с 10.01.2026" in note for note in notes)


def test_a_repaired_meter_counts_afresh_from_its_reading_at_the_repair():
    meters = [{"id": "m1", "service": "cold_water",
               "statuses": [{"from": "2026-01-10", "status": "broken"}, {"from": "2026-05-05", "status": "active"}],
               "readings": [{"period": p, "value": v} for p, v in SIX_MONTHS]
               + [{"date": "2026-03-20", "value": "250.000"},               # read while broken: ignored
                  {"date": "2026-05-05", "value": "300.000"},               # the reading at the repair: a new start
                  {"date": "2026-06-24", "value": "304.400"}]}]
    result = calculator.calculate(scenario(meters, ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]))
    got = methods(result)
    assert got[:4] == [(("average", "", "5.300"),)] * 3 + [(("norm_increased", "", "12.870"),)]
    assert got[4][0][0] == "norm"                                          # May: only the starting reading
    assert got[5] == (("meter", "", "4.400"),)                             # June: from the repair reading, no catch-up
    assert got[6] == (("norm", "", "8.58"),)                               # July: 1 month of readings, no average yet


def test_a_gap_before_the_scenario_uses_the_billed_volumes_given_in_the_history():
    meters = [{"id": "m1", "service": "cold_water", "readings": [{"period": p, "value": v} for p, v in SIX_MONTHS]
               + [{"period": "2026-02", "value": "243.000"}],
               "history": [{"period": "2026-01", "volume": None, "billed": "5.3", "method": "average"}]}]
    result = calculator.calculate(scenario(meters, ["2026-02"]))
    [[line]] = [p["lines"] for p in result["periods"]]
    assert (line["reason"], line["volume"]) == ("catch_up", "5.900")        # 243 − 231.8 = 11.2; − 5.3 billed in January
    assert result["periods"][0]["notes"] == []


def test_a_gap_before_the_scenario_without_billed_volumes_is_noted():
    meters = [{"id": "m1", "service": "cold_water", "readings": [{"period": p, "value": v} for p, v in SIX_MONTHS]
               + [{"period": "2026-02", "value": "243.000"}]}]
    result = calculator.calculate(scenario(meters, ["2026-02"]))
    [[line]] = [p["lines"] for p in result["periods"]]
    assert (line["reason"], line["volume"]) == ("catch_up", "11.200")
    [note] = result["periods"][0]["notes"]
    assert "2026-01" in note and "history[].billed" in note


def test_a_catch_up_credit_when_the_average_overstated_the_consumption():
    meters = [{"id": "m1", "service": "cold_water", "readings": [{"period": p, "value": v} for p, v in SIX_MONTHS]
               + [{"period": "2026-03", "value": "240.000"}]}]
    result = calculator.calculate(scenario(meters, ["2026-01", "2026-02", "2026-03"]))
    [catch_up] = result["periods"][2]["lines"]
    assert (catch_up["reason"], catch_up["volume"], catch_up["amount_kopecks"]) == ("catch_up", "-2.400", -8753)  # 8.2 − 10.6
    assert result["periods"][2]["totals"]["recalculations_kopecks"] == -8753
    assert result["totals"]["to_pay_kopecks"] == 2 * 19329 - 8753


def test_day_and_night_registers_each_keep_their_own_average():
    day = [{"period": p, "value": str(1000 + 100 * i)} for i, (p, _v) in enumerate(SIX_MONTHS)]
    night = [{"period": p, "value": str(500 + 40 * i)} for i, (p, _v) in enumerate(SIX_MONTHS)]
    doc = {**copy.deepcopy(BASE),
           "services": [{"code": "electricity", "kind": "electricity", "method": "meter", "unit": "kWh"}],
           "tariffs": {"electricity": [{"rate": "6.36"}, {"rate": "7.31", "zone": "day"}, {"rate": "3.82", "zone": "night"}]},
           "norms": {"electricity": [{"value": "99"}]},
           "meters": [{"id": "d", "service": "electricity", "zone": "day", "readings": day},
                      {"id": "n", "service": "electricity", "zone": "night", "readings": night}],
           "periods": [{"period": "2026-01"}]}
    result = calculator.calculate(doc)
    assert [(line["zone"], line["method"], line["volume"]) for line in result["periods"][0]["lines"]] == [
        ("day", "average", "100.000"), ("night", "average", "40.000")]

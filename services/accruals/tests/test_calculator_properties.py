"""Properties of every result for generated scenarios: totals are sums of rounded lines in kopecks,
the grand total adds the penalties, and the output is deterministic."""
import copy
import json
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accruals import calculator

FORMAT = "gorod.accruals.scenario/1"
SERVICES = {
    "cold_water": {"code": "cold_water", "kind": "cold_water", "method": "meter", "unit": "m3"},
    "hot_water": {"code": "hot_water", "kind": "hot_water", "method": "norm", "unit": "m3"},
    "electricity": {"code": "electricity", "kind": "electricity", "method": "meter", "unit": "kWh"},
    "heating": {"code": "heating", "kind": "heating", "method": "norm", "unit": "Gcal"},
    "waste": {"code": "waste", "kind": "waste", "method": "per_person", "unit": "person"},
    "maintenance": {"code": "maintenance", "kind": "maintenance", "method": "area", "unit": "m2"},
}
NORMS = {"cold_water": [{"value": "4.29"}], "hot_water": [{"value": "2.92"}, {"value": "0.06", "variant": "heating_hot_water"}],
         "electricity": [{"value": "99"}], "heating": [{"value": "0.0261"}]}


def decimal_text(low, high, places):
    return st.decimals(min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False).map(
        lambda d: format(d.normalize() if d == d.to_integral_value() else d, "f") if d else "0")


def rate():
    return decimal_text(Decimal("0.01"), Decimal("5000"), 2)


@st.composite
def readings(draw, periods, places, step):
    value = Decimal(draw(st.integers(0, 1000)))
    rows = [{"period": "2025-12", "value": format(value, "f")}]
    for period in periods:
        if draw(st.booleans()):
            value += draw(st.decimals(min_value=0, max_value=step, places=places, allow_nan=False, allow_infinity=False))
            rows.append({"period": period, "value": format(value, "f")})
    return rows


@st.composite
def scenarios(draw):
    start = draw(st.integers(1, 9))
    periods = [f"2026-{m:02d}" for m in range(start, start + draw(st.integers(1, 4)))]
    chosen = draw(st.lists(st.sampled_from(sorted(SERVICES)), min_size=1, max_size=6, unique=True))
    residents = draw(st.integers(1, 5))
    tariffs = {code: [{"rate": draw(rate())}] for code in chosen}
    if "hot_water" in chosen:
        tariffs["hot_water"] = [{"rate": draw(rate()), "component": "carrier"}, {"rate": draw(rate()), "component": "heat"}]
    if "electricity" in chosen:
        tariffs["electricity"] = [{"rate": draw(rate()), "range_to": "3900"},
                                  {"rate": draw(rate()), "range_from": "3900", "range_to": "6000"},
                                  {"rate": draw(rate()), "range_from": "6000"}]
    meters = []
    if "cold_water" in chosen and draw(st.booleans()):
        meters.append({"id": "cw", "service": "cold_water", "readings": draw(readings(periods, 3, 20))})
    if "electricity" in chosen and draw(st.booleans()):
        meters.append({"id": "el", "service": "electricity", "readings": draw(readings(periods, 0, 8000))})
    doc = {"format": FORMAT,
           "account": {"number": "2200000001", "total_area": draw(decimal_text(Decimal(10), Decimal(150), 1)), "residents": residents,
                       "rooms": 2, "meter_installable": draw(st.booleans())},
           "house": {"total_area": "3000"},
           "services": [SERVICES[code] for code in chosen], "tariffs": tariffs,
           "norms": {code: NORMS[code] for code in chosen if code in NORMS}, "meters": meters,
           "periods": [{"period": p} for p in periods]}
    if draw(st.booleans()):
        back = draw(st.integers(3, 28))
        doc["absences"] = [{"persons": 1, "departed_on": f"{periods[0]}-02", "returned_on": f"{periods[0]}-{back:02d}"}]
    if draw(st.booleans()):
        doc["benefits"] = {"beneficiaries": [
            {"id": f"b{i}", "pct": str(draw(st.sampled_from([25, 50, 100]))),
             "mode": draw(st.sampled_from(["cash_equivalent", "discount"]))}
            for i in range(draw(st.integers(1, min(2, residents))))]}
    if draw(st.booleans()):
        doc["subsidy"] = {"family_size": residents, "standard_cost_per_member_kopecks": draw(st.integers(0, 700000)),
                          "family_income_kopecks": draw(st.integers(0, 10000000)), "subsistence_minimum_kopecks": 1500000}
    if draw(st.booleans()):
        doc["penalties"] = {"calculation_date": "2027-03-31",
                            "debts": [{"period": "2025-10", "amount_kopecks": draw(st.integers(0, 900000))}],
                            "payments": [{"date": f"2026-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}",
                                          "amount_kopecks": draw(st.integers(1, 900000))} for _ in range(draw(st.integers(0, 3)))]}
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_totals_are_sums_of_rounded_lines(doc):
    text = json.dumps(doc)
    result = json.loads(calculator.calculate_text(text))
    grand = {key: 0 for key in result["totals"]}
    for period in result["periods"]:
        totals = period["totals"]
        lines = period["lines"]
        assert all(isinstance(line["amount_kopecks"], int) for line in lines)
        assert totals["charged_kopecks"] == sum(line["amount_kopecks"] for line in lines if not line["recalculation"])
        assert totals["recalculations_kopecks"] == sum(line["amount_kopecks"] for line in lines if line["recalculation"])
        assert totals["lines_kopecks"] == sum(line["amount_kopecks"] for line in lines)
        assert totals["benefit_discounts_kopecks"] == sum(d["amount_kopecks"] for d in period["benefit_discounts"]) <= 0
        assert totals["cash_equivalents_kopecks"] == sum(c["amount_kopecks"] for c in period["cash_equivalents"]) >= 0
        assert totals["to_pay_kopecks"] == totals["lines_kopecks"] + totals["benefit_discounts_kopecks"]
        assert totals["subsidy_kopecks"] == (period["subsidy"]["amount_kopecks"] if period["subsidy"] else 0)
        for line in lines:
            if line["tariff"] is not None and line["reason"] != "absence":
                raw = Decimal(line["volume"]) * Decimal(line["tariff"])
                assert line["amount_kopecks"] == int(raw.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP").scaleb(2))
        for key, value in totals.items():
            grand[key] += value
    penalties = result["penalties"]
    penalty = 0 if penalties is None else penalties["total_kopecks"]
    if penalties is not None:
        assert penalty == sum(s["amount_kopecks"] for p in penalties["periods"] for s in p["segments"])
        assert all(p["total_kopecks"] == sum(s["amount_kopecks"] for s in p["segments"]) for p in penalties["periods"])
    grand["penalties_kopecks"] = penalty
    grand["total_kopecks"] = grand["to_pay_kopecks"] + penalty
    assert result["totals"] == grand
    assert calculator.calculate_text(text) == calculator.calculate_text(text)
    for meter in doc["meters"]:
        _check_conservation(meter, result)


def _check_conservation(meter, result):
    """Up to the last period with a reading, the volumes billed (averages, norms and the catch-ups
    that correct them) add up to the readings' difference: nothing is lost or billed twice."""
    readings = meter["readings"]
    last = readings[-1]["period"]
    if len(readings) < 2 or last < result["periods"][0]["period"]:
        return
    billed = Decimal(0)
    for period in result["periods"]:
        if period["period"] > last:
            break
        billed += sum((Decimal(line["volume"]) for line in period["lines"]
                       if line["service_code"] == meter["service"] and line["component"] == "" and line["reason"] != "absence"),
                      Decimal(0))
    assert billed == Decimal(readings[-1]["value"]) - Decimal(readings[0]["value"]), meter


# -- robustness: a mutated scenario is computed or refused with problems, never a crash ------------

DOCS = Path(__file__).resolve().parents[3] / "docs" / "scenarios"
SEEDS = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(DOCS.glob("*.json"))]
ODD_STRINGS = ["", "0", "-1", "0.000", "1e5", "36.47", "9" * 39, "2026-02-29", "2200-12-31", "1899-12-31", "9999-12-31",
               "2200-12", "2200-11", "2000-01", "1999-12", "02-29", "12-31", "day", "night", "carrier", "heat", "meter", "norm",
               "area", "cold_water", "hot_water", "sewage", "heating", "waste", "common_electricity", "broken", "absent",
               "verification_expired", "discount", "cash_equivalent", "whole_volume", "per_beneficiary", "newest_first"]


def _keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


KEYS = sorted({key for seed in SEEDS for key in _keys(seed)} | set(calculator.schema()["properties"]))
SCALARS = (st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.sampled_from(ODD_STRINGS)
           | st.floats(allow_nan=False, allow_infinity=False, width=32) | st.text(max_size=4))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
                      max_leaves=6)


@st.composite
def mutated(draw):
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        elif action == "add" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(KEYS))] = draw(VALUES)
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(mutated())
def test_a_mutated_scenario_is_computed_or_refused_never_a_crash(doc):
    try:
        result = calculator.calculate(doc)
    except calculator.ScenarioInvalid as exc:
        assert exc.problems and all(p.path.startswith("$") and p.code.startswith("scenario.") for p in exc.problems)
    else:
        assert result["totals"]["total_kopecks"] == result["totals"]["to_pay_kopecks"] + result["totals"]["penalties_kopecks"]

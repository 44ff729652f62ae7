"""Every calculation of shared/domain/examples.json through the scenario calculator.

Each example's inputs are converted into a scenario document (`SCENARIOS[id](inputs)`); the
documents are also kept in tests/scenarios/ (checked to be exactly the converted ones) so they
can be run by hand: `python -m accruals.calculator services/accruals/tests/scenarios/e-01.json`.
They go through the library and the CLI, and the expected values are asserted exactly: from
the constants below, and from the shared file itself when it sits beside the repository
(../shared/domain/examples.json from the repo root; without it only that cross-check is skipped).

E-33 (the payment QR string) and E-35 (a bank payment registry) are not calculations of an
account: they belong to the receipt and payment-registry work (docs/scenario.md).
"""
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from accruals import calculator
from accruals.domain.charges.samples import months_before
from gorod_runtime.period import Period

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SCENARIO_DIR = HERE / "scenarios"
SHARED_EXAMPLES = REPO.parent / "shared" / "domain" / "examples.json"
FORMAT = "gorod.accruals.scenario/1"
NOT_CALCULATIONS = {"E-33": "payment QR string (receipts)", "E-35": "bank payment registry (payments)"}

# The examples' inputs and expected values, as in shared/domain/examples.json.
EXAMPLES = {
    "E-01": {"inputs": {"service": "ХВС", "meter_prev": "123.456", "meter_curr": "128.579", "tariff_rub_per_m3": "36.47",
                        "period": "2026-03"},
             "expected": {"volume_m3": "5.123", "charge_rub": "186.84"}},
    "E-03": {"inputs": {"residents": 3, "norm_m3_per_person": "4.29", "tariff": "36.47", "meter_installable": False},
             "expected": {"volume_m3": "12.87", "multiplier": "1", "charge_rub": "469.37"}},
    "E-06": {"inputs": {"monthly_volumes_last_6_m3": ["5.2", "4.8", "5.5", "6.1", "4.9", "5.3"], "readings_this_period": None,
                        "consecutive_missing_periods": 1, "tariff": "36.47"},
             "expected": {"method": "average", "volume_m3": "5.300", "charge_rub": "193.29"}},
    "E-22": {"inputs": {"period": "2025-01", "debt": "5000.00", "due_date": "2025-02-10", "payment_date": "2025-06-30",
                        "key_rate_on_payment_day_pct": "20",
                        "rule": "ставка = min(9,5%; ключевая на день оплаты) для 2025-2026"},
             "expected": {"segments": [
                 {"from": "2025-03-13", "to": "2025-05-11", "days": 60, "debt": "5000", "fraction": "1/300", "rate_pct": "9.5",
                  "raw": "95.000000", "amount": "95.00"},
                 {"from": "2025-05-12", "to": "2025-06-30", "days": 50, "debt": "5000", "fraction": "1/130", "rate_pct": "9.5",
                  "raw": "182.692308", "amount": "182.69"}], "total_penalty": "277.69"}},
    "E-27": {"inputs": {"family_size": 2, "regional_standard_cost_per_member": "5200.00", "monthly_family_income": "34000.00",
                        "subsistence_min_per_capita": "14000.00", "max_share_pct": "22", "actual_expenses": "9800.00"},
             "expected": {"per_capita_income": "17000.00", "correction_K": "1 (не применяется)", "subsidy_rub": "2920.00"}},
    "E-28": {"inputs": {"family_size": 3, "regional_standard_cost_per_member": "4100.00", "monthly_family_income": "36000.00",
                        "subsistence_min_per_capita": "15000.00", "max_share_pct": "22",
                        "actual_expenses_variants": ["8000.00", "5000.00"]},
             "expected": {"per_capita_income": "12000.00", "K": "0.8", "effective_share": "0.176",
                          "subsidy_if_actual_8000": "5964.00", "subsidy_if_actual_5000": "5000.00"}},
    "E-29": {"inputs": {"area_m2": "45.0", "family_size": 1, "social_norm_m2": "33", "tariff_maintenance_rub_per_m2": "31.20",
                        "benefit_pct": "50", "mode": "компенсация (Алтайский край: денежная форма)"},
             "expected": {"charge_rub": "1404.00", "benefit_amount_rub": "514.80", "to_pay_if_discount_mode": "889.20",
                          "to_pay_if_cash_compensation_mode": "1404.00"}},
}


def kop(text: str) -> int:
    """Roubles as in the examples ("186.84") → kopecks."""
    value = Decimal(text).scaleb(2)
    assert value == value.to_integral_value(), text
    return int(value)


# -- converters: an example's inputs → scenario documents ----------------------------------------

def e01(i):
    assert i["service"] == "ХВС"
    [prev] = months_before(Period.parse(i["period"]), 1)
    return {"e-01.json": {
        "format": FORMAT, "title": "E-01: cold water by the flat meter (формула 1)",
        "account": {"number": "2200000001", "total_area": "45.0", "residents": 2},
        "services": [{"code": "cold_water", "kind": "cold_water", "method": "meter", "unit": "m3", "name": "Холодное водоснабжение"}],
        "tariffs": {"cold_water": [{"rate": i["tariff_rub_per_m3"], "valid_from": "2026-01-01"}]},
        "meters": [{"id": "m1", "service": "cold_water", "readings": [
            {"period": str(prev), "value": i["meter_prev"]}, {"period": i["period"], "value": i["meter_curr"]}]}],
        "periods": [{"period": i["period"]}]}}


def e03(i):
    return {"e-03.json": {
        "format": FORMAT, "title": "E-03: cold water by norm, no meter and none can be installed (формула 4)",
        "account": {"number": "2200000003", "total_area": "45.0", "residents": i["residents"],
                    "meter_installable": i["meter_installable"]},
        "services": [{"code": "cold_water", "kind": "cold_water", "method": "norm", "unit": "m3"}],
        "tariffs": {"cold_water": [{"rate": i["tariff"], "valid_from": "2026-01-01"}]},
        "norms": {"cold_water": [{"value": i["norm_m3_per_person"], "unit": "m3/person"}]},
        "periods": [{"period": "2026-03"}]}}


def e06(i):
    assert i["readings_this_period"] is None
    volumes = i["monthly_volumes_last_6_m3"]
    # The history ends `consecutive_missing_periods` periods before the calculated one (2026-03).
    before = months_before(Period(2026, 3), len(volumes) + i["consecutive_missing_periods"] - 1)[:len(volumes)]
    return {"e-06.json": {
        "format": FORMAT, "title": "E-06: no readings in the 1st month — the average monthly volume (п.59 «б»)",
        "account": {"number": "2200000006", "total_area": "45.0", "residents": 2},
        "services": [{"code": "cold_water", "kind": "cold_water", "method": "meter", "unit": "m3"}],
        "tariffs": {"cold_water": [{"rate": i["tariff"], "valid_from": "2026-01-01"}]},
        "norms": {"cold_water": [{"value": "4.29", "unit": "m3/person"}]},
        "meters": [{"id": "m1", "service": "cold_water",
                    "history": [{"period": str(p), "volume": v} for p, v in zip(before, volumes, strict=True)]}],
        "periods": [{"period": "2026-03"}]}}


def e22(i):
    return {"e-22.json": {
        "format": FORMAT, "title": "E-22: penalties 1/300 from day 31, 1/130 from day 91, rate min(9.5 %; key rate)",
        "account": {"number": "2200000022", "total_area": "45.0", "residents": 2},
        "penalties": {"calculation_date": i["payment_date"],
                      "debts": [{"period": i["period"], "amount_kopecks": kop(i["debt"])}],
                      "payments": [{"date": i["payment_date"], "amount_kopecks": kop(i["debt"])}],
                      "key_rates": [{"from": i["payment_date"], "pct": i["key_rate_on_payment_day_pct"]}]}}}


def _subsidy(i, actual_key=None):
    subsidy = {"family_size": i["family_size"], "standard_cost_per_member_kopecks": kop(i["regional_standard_cost_per_member"]),
               "family_income_kopecks": kop(i["monthly_family_income"]),
               "subsistence_minimum_kopecks": kop(i["subsistence_min_per_capita"])}
    if actual_key:
        subsidy["actual_expenses_kopecks"] = kop(i[actual_key])
    return subsidy


def e27(i):
    return {"e-27.json": {
        "format": FORMAT, "title": "E-27: subsidy (ПП 761), per-capita income not below the subsistence minimum",
        "account": {"number": "2200000027", "total_area": "45.0", "residents": i["family_size"]},
        "periods": [{"period": "2026-03"}],
        "subsidy": _subsidy(i, "actual_expenses"),
        "settings": {"subsidies": {"max_share_pct": i["max_share_pct"]}}}}


def e28(i):
    first, second = i["actual_expenses_variants"]
    return {"e-28.json": {
        "format": FORMAT, "title": "E-28: subsidy (ПП 761) with the correction K; actual expenses 8000.00, then 5000.00",
        "account": {"number": "2200000028", "total_area": "54.0", "residents": i["family_size"]},
        "periods": [{"period": "2026-03", "actual_expenses_kopecks": kop(first)},
                    {"period": "2026-04", "actual_expenses_kopecks": kop(second)}],
        "subsidy": _subsidy(i),
        "settings": {"subsidies": {"max_share_pct": i["max_share_pct"]}}}}


def e29(i):
    assert "компенсация" in i["mode"]      # the example's own mode; the discount mode is its «to_pay_if_discount_mode»
    docs = {}
    for mode in ("cash_equivalent", "discount"):
        docs[f"e-29-{mode}.json"] = {
            "format": FORMAT,
            "title": f"E-29: 50 % benefit on maintenance within the social norm of 33 m² (living alone), mode {mode}",
            "account": {"number": "2200000029", "total_area": i["area_m2"], "residents": i["family_size"]},
            "services": [{"code": "maintenance", "kind": "maintenance", "method": "area", "unit": "m2",
                          "name": "Содержание жилого помещения"}],
            "tariffs": {"maintenance": [{"rate": i["tariff_maintenance_rub_per_m2"], "valid_from": "2026-01-01"}]},
            "periods": [{"period": "2026-03"}],
            "benefits": {"beneficiaries": [{"id": "b1", "pct": i["benefit_pct"], "category": "ветеран труда (61-ЗС)"}]},
            "settings": {"benefits": {"mode": mode, "norm_single_m2": i["social_norm_m2"]}}}
    return docs


SCENARIOS = {"E-01": e01, "E-03": e03, "E-06": e06, "E-22": e22, "E-27": e27, "E-28": e28, "E-29": e29}


# -- checks: a result against an example's expected values -----------------------------------------

def only_line(result):
    [period] = result["periods"]
    [line] = period["lines"]
    return line


def check_e01(results, x):
    line = only_line(results["e-01.json"])
    assert (line["method"], line["volume"], line["amount_kopecks"]) == ("meter", x["volume_m3"], kop(x["charge_rub"]))
    assert results["e-01.json"]["totals"]["total_kopecks"] == kop(x["charge_rub"])


def check_e03(results, x):
    line = only_line(results["e-03.json"])
    assert x["multiplier"] == "1" and line["method"] == "norm" and "K" not in line["explanation"]["inputs"]
    assert (line["volume"], line["amount_kopecks"]) == (x["volume_m3"], kop(x["charge_rub"]))


def check_e06(results, x):
    line = only_line(results["e-06.json"])
    assert (line["method"], line["volume"], line["amount_kopecks"]) == (x["method"], x["volume_m3"], kop(x["charge_rub"]))


def check_e22(results, x, due="2025-02-10"):
    penalties = results["e-22.json"]["penalties"]
    [period] = penalties["periods"]
    assert period["due"] == due
    got = [(s["from"], s["to"], s["days"], s["base_kopecks"], s["fraction"], s["rate_pct"], s["raw"], s["amount_kopecks"])
           for s in period["segments"]]
    assert got == [(s["from"], s["to"], s["days"], kop(s["debt"]), s["fraction"], s["rate_pct"], s["raw"], kop(s["amount"]))
                   for s in x["segments"]]
    assert penalties["total_kopecks"] == kop(x["total_penalty"]) == results["e-22.json"]["totals"]["penalties_kopecks"]


def check_e27(results, x):
    [period] = results["e-27.json"]["periods"]
    subsidy = period["subsidy"]
    assert Decimal(subsidy["per_capita_income"]) == Decimal(x["per_capita_income"])
    assert x["correction_K"].startswith("1") and subsidy["k_applied"] is False and subsidy["k"] == "1"
    assert subsidy["amount_kopecks"] == kop(x["subsidy_rub"]) == period["totals"]["subsidy_kopecks"]


def check_e28(results, x):
    first, second = results["e-28.json"]["periods"]
    for period in (first, second):
        subsidy = period["subsidy"]
        assert Decimal(subsidy["per_capita_income"]) == Decimal(x["per_capita_income"])
        assert subsidy["k_applied"] is True and Decimal(subsidy["k"]) == Decimal(x["K"])
        assert Decimal(subsidy["effective_share"]) == Decimal(x["effective_share"])
    assert first["subsidy"]["amount_kopecks"] == kop(x["subsidy_if_actual_8000"])
    assert second["subsidy"]["amount_kopecks"] == kop(x["subsidy_if_actual_5000"])


def check_e29(results, x):
    cash, discount = results["e-29-cash_equivalent.json"], results["e-29-discount.json"]
    for result in (cash, discount):
        assert only_line(result)["amount_kopecks"] == kop(x["charge_rub"])
    [cash_period], [discount_period] = cash["periods"], discount["periods"]
    [record] = cash_period["cash_equivalents"]
    assert (record["beneficiary_id"], record["service_code"]) == ("b1", "maintenance")
    assert record["amount_kopecks"] == kop(x["benefit_amount_rub"])
    assert cash_period["benefit_discounts"] == []
    assert cash_period["totals"]["to_pay_kopecks"] == kop(x["to_pay_if_cash_compensation_mode"])
    assert cash_period["totals"]["cash_equivalents_kopecks"] == kop(x["benefit_amount_rub"])
    [line] = discount_period["benefit_discounts"]
    assert line["amount_kopecks"] == -kop(x["benefit_amount_rub"]) and discount_period["cash_equivalents"] == []
    assert discount_period["totals"]["to_pay_kopecks"] == kop(x["to_pay_if_discount_mode"]) == discount["totals"]["total_kopecks"]


CHECKS = {"E-01": check_e01, "E-03": check_e03, "E-06": check_e06, "E-22": check_e22, "E-27": check_e27, "E-28": check_e28,
          "E-29": check_e29}


def library(docs: dict) -> dict:
    return {name: calculator.calculate(json.loads(json.dumps(doc))) for name, doc in docs.items()}


def cli(path: Path) -> dict:
    process = subprocess.run([sys.executable, "-m", "accruals.calculator", str(path)], capture_output=True, timeout=60)
    assert process.returncode == 0, process.stderr.decode()
    assert process.stderr == b""
    return json.loads(process.stdout)


def shared_examples():
    if not SHARED_EXAMPLES.exists():
        return None
    return {item["id"]: item for item in json.loads(SHARED_EXAMPLES.read_text(encoding="utf-8"))}


# -- tests --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_the_kept_scenario_files_are_the_converted_examples(example):
    for name, doc in SCENARIOS[example](EXAMPLES[example]["inputs"]).items():
        assert json.loads((SCENARIO_DIR / name).read_text(encoding="utf-8")) == doc, name


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_through_the_library(example):
    docs = SCENARIOS[example](EXAMPLES[example]["inputs"])
    CHECKS[example](library(docs), EXAMPLES[example]["expected"])


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_through_the_cli(example):
    names = SCENARIOS[example](EXAMPLES[example]["inputs"])
    results = {name: cli(SCENARIO_DIR / name) for name in names}
    CHECKS[example](results, EXAMPLES[example]["expected"])
    assert results == library({name: json.loads((SCENARIO_DIR / name).read_text(encoding="utf-8")) for name in names})


def test_the_examples_match_the_shared_file_and_pass_from_its_own_inputs():
    shared = shared_examples()
    if shared is None:
        pytest.skip(f"{SHARED_EXAMPLES} not found beside the repository")
    calculations = {key for key, item in shared.items() if key not in NOT_CALCULATIONS}
    assert calculations == set(EXAMPLES), "a new example in examples.json: convert it into a scenario here"
    assert set(NOT_CALCULATIONS) <= set(shared)
    for key, item in EXAMPLES.items():
        assert shared[key]["inputs"] == item["inputs"], key
        assert shared[key]["expected"] == item["expected"], key
        # Straight from the shared file's inputs, checked against its expected values.
        CHECKS[key](library(SCENARIOS[key](shared[key]["inputs"])), shared[key]["expected"])
    assert shared["E-22"]["inputs"]["due_date"] == "2025-02-10"


def test_e22_also_from_a_calculated_period_whose_total_is_the_debt():
    """The same debt as a calculated period's charge (a fixed 5000.00) instead of a given debt."""
    doc = SCENARIOS["E-22"](EXAMPLES["E-22"]["inputs"])["e-22.json"]
    doc["services"] = [{"code": "fixed", "kind": "other", "method": "fixed", "unit": "month"}]
    doc["tariffs"] = {"fixed": [{"rate": "5000.00"}]}
    doc["periods"] = [{"period": "2025-01"}]
    del doc["penalties"]["debts"]
    result = calculator.calculate(doc)
    check_e22({"e-22.json": result}, EXAMPLES["E-22"]["expected"])
    assert result["penalties"]["periods"][0]["debt_source"] == "period"
    assert result["totals"]["total_kopecks"] == 500000 + 27769

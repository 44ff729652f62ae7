"""The documented scenarios (docs/scenarios/*.json) validate and compute, with their values checked
by hand; the schema has one source; every rule setting can be set from a scenario."""
import dataclasses
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from accruals import calculator
from accruals.calculator import scenario as sc
from accruals.domain import benefits as bn
from accruals.domain import penalties as pn
from accruals.domain import subsidies as sb
from accruals.domain.charges import EngineSettings

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs"
EXAMPLES = sorted((DOCS / "scenarios").glob("*.json"))
REQUIRED = {"metered-flat", "norm-flat-increased", "missing-readings-catch-up", "heating-house-meter", "debtor-penalties",
            "subsidy-household", "beneficiary-cash-equivalent", "beneficiary-discount", "temporary-absence"}


def load(name: str) -> dict:
    return json.loads((DOCS / "scenarios" / f"{name}.json").read_text(encoding="utf-8"))


def calc(name: str) -> dict:
    return calculator.calculate(load(name))


def lines(result, period_index=0, **match):
    found = result["periods"][period_index]["lines"]
    return [line for line in found if all(line[key] == value for key, value in match.items())]


# -- schema: one source, well-formed, complete ---------------------------------------------------

def test_docs_schema_is_the_package_schema():
    assert (DOCS / "scenario.schema.json").read_bytes() == sc.SCHEMA_FILE.read_bytes()


def test_schema_is_valid_draft_2020_12_without_duplicate_keys():
    def no_duplicates(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys in the schema: {keys}"
        return dict(pairs)

    document = json.loads(sc.SCHEMA_FILE.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)


def test_the_settings_block_names_every_setting_of_every_rule_module():
    settings = sc.schema()["$defs"]["settings"]["properties"]
    fields = {f.name for f in dataclasses.fields(EngineSettings)}
    assert set(settings["engine"]["properties"]) == fields
    penalty_fields = {f.name for f in dataclasses.fields(pn.PenaltySettings)} - {"calendar"}
    assert set(settings["penalties"]["properties"]) == penalty_fields | {"decree_days_non_working", "calendar_years"}
    assert set(settings["subsidies"]["properties"]) == {f.name for f in dataclasses.fields(sb.SubsidySettings)}
    assert set(settings["benefits"]["properties"]) == {f.name for f in dataclasses.fields(bn.BenefitSettings)}


NON_DEFAULT = {
    "engine": {"increased_norm_k": "0.6", "increased_norm_kinds": ["cold_water"], "average_months": 5, "average_min_months": 2,
               "average_max_periods": 2, "average_quantum": "0.01", "electricity_ranges": "whole_volume",
               "tariff_split_by_days": True, "heating_season_only": False, "heating_partial_months": "full",
               "heating_area": "heated", "hot_water_heat_norm": "0.065", "waste_persons": "registered", "absence_min_days": 4,
               "absence_kinds": ["waste"], "absence_any_meter_kinds": [], "common_property_cap": False,
               "sewage_source_kinds": ["cold_water"], "sewage_includes_increase": True, "share_quantum": "0.0001",
               "split_quantum": "0.01", "norm_zone_fallback": "night", "part_period_methods": ["area"]},
    "penalties": {"due_day": 11, "due_day_from_switch": 16, "switch_period": "2026-03", "move_to_working_day": False,
                  "grace_days": 29, "first_denominator": 299, "second_band_from_day": 92, "second_denominator": 131,
                  "payment_reduces_base_next_day": False, "payment_order": "newest_first", "time_barred_years": 3,
                  "cap_pct": "9", "cap_from": "2022-03-01", "cap_until": "2027-12-31", "cap_window_by": "rate_date",
                  "rate_on": "calculation_date", "moratorium_pauses_counter": True},
    "subsidies": {"max_share_pct": "10", "base": "min_standard_actual", "k_places": 2},
    "benefits": {"mode": "discount", "norm_single_m2": "30", "norm_two_m2": "40", "norm_per_person_m2": "17",
                 "volume_share": "per_beneficiary"},
}


def test_every_setting_reaches_its_rule_module():
    doc = {"format": sc.FORMAT, "account": {"number": "1", "total_area": "40", "residents": 1},
           "settings": {**NON_DEFAULT, "readings": {"deadline_day": 20}}}
    settings = calculator.parse(doc).settings
    converted = {"engine": settings.engine, "penalties": settings.penalties, "subsidies": settings.subsidies,
                 "benefits": settings.benefits}
    for group, values in NON_DEFAULT.items():
        target = converted[group]
        for key, value in values.items():
            got = getattr(target, key)
            if isinstance(got, Decimal):
                assert got == Decimal(value), (group, key)
            elif isinstance(got, frozenset | tuple):
                assert sorted(got) == sorted(value), (group, key)
            elif hasattr(got, "isoformat") or key == "switch_period":
                assert str(got) == value, (group, key)
            else:
                assert got == value, (group, key)
    assert settings.deadline_day == 20


def test_calendar_years_and_decree_days_reach_the_penalty_calendar():
    doc = {"format": sc.FORMAT, "account": {"number": "1", "total_area": "40", "residents": 1},
           "settings": {"penalties": {"decree_days_non_working": True,
                                      "calendar_years": {"2031": {"act": "test", "holidays": ["2031-01-01"]}}}}}
    settings = calculator.parse(doc).settings.penalties
    calendar = settings.working_calendar
    assert 2031 in calendar.years and not calendar.is_working_day(dt.date(2031, 1, 1))   # a Wednesday, a holiday here
    assert not calendar.is_working_day(dt.date(2020, 4, 10))                           # a decree day (30.03–30.04.2020)
    assert pn.due_date("2020-03", settings) == dt.date(2020, 5, 12)
    assert pn.due_date("2020-03") == dt.date(2020, 4, 10)


# -- the documented scenarios -------------------------------------------------------------------

def test_the_required_examples_are_documented():
    assert {path.stem for path in EXAMPLES} >= REQUIRED


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_documented_scenario_validates_and_computes(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(sc.schema()).validate(document)
    result = calculator.calculate(document)
    assert result["format"] == calculator.RESULT_FORMAT
    assert result["periods"] or result["penalties"]
    assert path.stem in (DOCS / "scenario.md").read_text(encoding="utf-8"), "docs/scenario.md should describe every example"


def test_metered_flat_two_component_hot_water_zones_ranges_and_roll_over():
    result = calc("metered-flat")
    carrier, heat = lines(result, service_code="hot_water")
    assert (carrier["component"], carrier["volume"], carrier["unit"], carrier["amount_kopecks"]) == ("carrier", "3.100", "m3", 11306)
    assert (heat["component"], heat["volume"], heat["unit"], heat["tariff"], heat["amount_kopecks"]) == (
        "heat", "0.18600", "Gcal", "3218.46", 59863)
    [sewage] = lines(result, service_code="sewage")
    assert (sewage["method"], sewage["volume"], sewage["amount_kopecks"]) == ("water_sum", "8.300", 26519)
    electricity = [(line["zone"], line["band"], line["volume"], line["tariff"], line["amount_kopecks"])
                   for line in lines(result, service_code="electricity")]
    assert electricity == [("day", "0–3900", "2686.667", "7.31", 1963954), ("day", "3900–6000", "413.333", "9.79", 404653),
                           ("night", "0–3900", "1213.333", "3.82", 463493), ("night", "3900–6000", "186.667", "5.11", 95387)]
    day = lines(result, service_code="electricity", zone="day")[0]
    assert day["explanation"]["inputs"]["X_пред"] == "98500" and day["explanation"]["inputs"]["X_тек"] == "1600"
    assert [line["band"] for line in lines(result, 1, service_code="electricity")] == ["0–3900", "0–3900"]
    assert result["totals"]["total_kopecks"] == sum(line["amount_kopecks"] for p in result["periods"] for line in p["lines"])


def test_norm_flat_gets_the_increase_and_sewage_does_not():
    result = calc("norm-flat-increased")
    got = {(line["service_code"], line["component"]): (line["method"], line["volume"]) for line in lines(result)}
    assert got[("cold_water", "")] == ("norm_increased", "19.305")          # 3 × 4.29 × 1.5
    assert got[("hot_water", "carrier")] == ("norm_increased", "13.140")    # 3 × 2.92 × 1.5
    assert got[("electricity", "")] == ("norm_increased", "346.5")          # 3 × 77 × 1.5 (2 rooms, 3 persons)
    assert got[("sewage", "")] == ("water_sum", "21.63")                     # 12.87 + 8.76, without the increase


def test_four_months_without_readings_then_the_catch_up():
    result = calc("missing-readings-catch-up")
    water = [lines(result, i, service_code="cold_water") for i in range(5)]
    assert [(w[0]["method"], w[0]["volume"]) for w in water[:4]] == [("average", "5.300")] * 3 + [("norm", "8.58")]
    [catch_up] = water[4]
    assert (catch_up["recalculation"], catch_up["reason"], catch_up["volume"], catch_up["amount_kopecks"]) == (
        True, "catch_up", "2.720", 9920)                                     # 27.2 − (3 × 5.3 + 8.58)
    assert catch_up["explanation"]["inputs"]["V_факт"] == "27.200"
    sewage = lines(result, 4, service_code="sewage", reason="catch_up")
    assert [line["volume"] for line in sewage] == ["2.720"]
    # The reading dated 27 April is after the 25th: it counts for May, so April is still by norm.
    assert calculator.parse(load("missing-readings-catch-up")).meters[0].readings[-1].period == calculator.parse(
        load("missing-readings-catch-up")).periods[4].period


def test_heating_by_house_meter_with_a_norm_fallback_and_common_property_cap():
    result = calc("heating-house-meter")
    assert [(line["method"], line["volume"]) for line in lines(result, 0, service_code="heating")] == [
        ("house_meter_share", "6.881620")]                                    # 380.2 × 54.3 / 3000
    [april] = lines(result, 2, service_code="heating")
    assert (april["method"], april["volume"]) == ("area", "1.41723")         # 54.3 × 0.0261, no house reading
    assert "показаний ОДПУ за период нет — по нормативу" in april["explanation"]["notes"]
    common = [lines(result, i, service_code="common_electricity")[0]["volume"] for i in range(3)]
    assert common == ["7.819200", "0.905000", "0"]                            # capped; below the cap; negative → 0


def test_debtor_due_dates_across_the_switch_and_penalties():
    result = calc("debtor-penalties")
    periods = {p["period"]: p for p in result["penalties"]["periods"]}
    assert {key: (p["due"], p["debt_source"]) for key, p in periods.items()} == {
        "2025-11": ("2025-12-10", "debt"), "2025-12": ("2026-01-12", "period"), "2026-01": ("2026-02-10", "period"),
        "2026-02": ("2026-03-16", "period"), "2026-03": ("2026-04-15", "period")}
    assert periods["2025-12"]["paid"] == [{"date": "2026-05-05", "amount_kopecks": 200000, "source": "payment"}]
    assert [s["fraction"] for s in periods["2025-12"]["segments"]] == ["1/300", "1/130", "1/130"]
    penalty = result["penalties"]["total_kopecks"]
    assert penalty == sum(s["amount_kopecks"] for p in periods.values() for s in p["segments"]) == 60690
    assert result["totals"]["total_kopecks"] == result["totals"]["to_pay_kopecks"] + penalty


def test_subsidy_household_uses_the_month_charges_as_actual_expenses():
    result = calc("subsidy-household")
    for period in result["periods"]:
        subsidy = period["subsidy"]
        assert subsidy["actual_expenses_source"] == "charges"
        assert subsidy["actual_expenses_kopecks"] == period["totals"]["to_pay_kopecks"]
        assert subsidy["k_applied"] and subsidy["standard_cost_kopecks"] == 1230000
        assert subsidy["amount_kopecks"] == 582000                             # 12300 − 0.22 × (12000 / 14666.67) × 36000
    assert result["totals"]["subsidy_kopecks"] == 2 * 582000
    assert result["totals"]["total_kopecks"] == result["totals"]["to_pay_kopecks"]   # paid by УСЗН, not off the receipt


def test_beneficiary_in_both_modes():
    cash, discount = calc("beneficiary-cash-equivalent"), calc("beneficiary-discount")
    assert cash["periods"][0]["lines"] == discount["periods"][0]["lines"]
    records = cash["periods"][0]["cash_equivalents"]
    assert [(r["service_code"], r["kind"], r["amount_kopecks"]) for r in records] == [
        ("cold_water", "volume", 7823), ("electricity", "volume", 28620), ("heating", "area", 88202), ("maintenance", "area", 32760)]
    assert [r["amount_kopecks"] for r in discount["periods"][0]["benefit_discounts"]] == [-r["amount_kopecks"] for r in records]
    benefit = sum(r["amount_kopecks"] for r in records)
    assert cash["totals"]["to_pay_kopecks"] == cash["totals"]["charged_kopecks"]
    assert cash["totals"]["cash_equivalents_kopecks"] == benefit
    assert discount["totals"]["to_pay_kopecks"] == discount["totals"]["charged_kopecks"] - benefit


def test_temporary_absence_recalculates_water_sewage_and_waste_but_not_heating():
    result = calc("temporary-absence")
    recalculated = [(line["service_code"], line["component"]) for line in lines(result, reason="absence")]
    assert recalculated == [("cold_water", ""), ("hot_water", "carrier"), ("hot_water", "heat"), ("sewage", ""), ("waste", "")]
    [waste] = lines(result, service_code="waste", reason="absence")
    assert waste["amount_kopecks"] == -3215                                   # −124.60 / 2 × 16 / 31; the 5-day absence adds nothing
    assert result["periods"][0]["totals"]["recalculations_kopecks"] == sum(line["amount_kopecks"]
                                                                           for line in lines(result, reason="absence"))


def test_verification_expired_three_averages_then_the_increased_norm():
    result = calc("verification-expired")
    got = [(p["lines"][0]["method"], p["lines"][0]["volume"]) for p in result["periods"]]
    assert got == [("average", "5.300")] * 3 + [("norm_increased", "12.870")]


def test_cli_pretty_prints_the_same_result():
    path = DOCS / "scenarios" / "metered-flat.json"
    process = subprocess.run([sys.executable, "-m", "accruals.calculator", str(path), "--pretty"], capture_output=True, timeout=60)
    assert process.returncode == 0, process.stderr.decode()
    assert process.stdout.decode().startswith('{\n  "format": "gorod.accruals.scenario-result/1",')
    assert json.loads(process.stdout) == calc("metered-flat")


def test_results_are_deterministic():
    text = (DOCS / "scenarios" / "debtor-penalties.json").read_bytes()
    assert calculator.calculate_text(text) == calculator.calculate_text(text)
    assert list(calc("metered-flat")) == ["format", "title", "account", "periods", "penalties", "totals"]


def test_an_account_opened_inside_the_period_pays_the_open_days_of_its_norm_lines():
    doc = load("norm-flat-increased")
    doc["account"]["opened_on"] = f"{doc['periods'][0]['period']}-21"
    result = calculator.calculate(doc)
    regular = [line for line in result["periods"][0]["lines"] if not line["recalculation"]]
    part = [line for line in result["periods"][0]["lines"] if line["reason"] == "part_period"]
    assert part and len(part) == len([line for line in regular if line["method"] in ("norm", "norm_increased")])
    full = calc("norm-flat-increased")["periods"][0]
    assert [line for line in full["lines"] if not line["recalculation"]] == regular


def test_benefits_cover_what_the_period_owes_after_its_own_recalculations():
    """An account opened on the 17th: the maintenance benefit is on the 15 days owed, as in the monthly run."""
    full = calc("beneficiary-discount")["periods"][0]
    doc = load("beneficiary-discount")
    doc["account"]["opened_on"] = "2026-03-17"
    part = calculator.calculate(doc)["periods"][0]

    def maintenance(result):
        return next(d for d in result["benefit_discounts"] if d["service_code"] == "maintenance")

    owed = sum(line["amount_kopecks"] for line in part["lines"] if line["service_code"] == "maintenance")
    assert maintenance(part)["charge_kopecks"] == owed < maintenance(full)["charge_kopecks"]
    assert abs(maintenance(part)["amount_kopecks"] - round(maintenance(full)["amount_kopecks"] * 15 / 31)) <= 1

"""Invalid scenarios: every problem with a JSON path and a stable code; CLI exit codes; the handler."""
import copy
import json
import subprocess
import sys

import pytest

from accruals import calculator
from accruals.calculator import ScenarioInvalid
from accruals.handlers import calculator as handler
from gorod_runtime.errors import DomainError

BASE = {
    "format": "gorod.accruals.scenario/1",
    "account": {"number": "2200000001", "total_area": "45.0", "residents": 2},
    "services": [{"code": "cold_water", "kind": "cold_water", "method": "meter", "unit": "m3"}],
    "tariffs": {"cold_water": [{"rate": "36.47", "valid_from": "2026-01-01"}]},
    "norms": {"cold_water": [{"value": "4.29"}]},
    "meters": [{"id": "m1", "service": "cold_water", "readings": [
        {"period": "2026-01", "value": "100.000"}, {"period": "2026-02", "value": "105.000"},
        {"period": "2026-03", "value": "110.000"}]}],
    "periods": [{"period": "2026-02"}, {"period": "2026-03"}],
}


def problems(document) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioInvalid) as caught:
        calculator.calculate(document)
    return [(p.path, p.code) for p in caught.value.problems]


def changed(edit) -> dict:
    document = copy.deepcopy(BASE)
    edit(document)
    return document


def test_the_base_scenario_is_valid():
    result = calculator.calculate(copy.deepcopy(BASE))
    assert [p["lines"][0]["volume"] for p in result["periods"]] == ["5.000", "5.000"]


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda d: d["meters"][0]["readings"][2].update(value="1,5"), ("$.meters[0].readings[2].value", "scenario.bad_decimal")),
    (lambda d: d["meters"][0]["readings"][2].update(value=110.5), ("$.meters[0].readings[2].value", "scenario.bad_decimal")),
    (lambda d: d["tariffs"]["cold_water"][0].update(rate="36.1234567"), ("$.tariffs.cold_water[0].rate", "scenario.bad_decimal")),
    (lambda d: d["account"].pop("number"), ("$.account.number", "scenario.required")),
    (lambda d: d["account"].update(colour="blue"), ("$.account.colour", "scenario.unknown_field")),
    (lambda d: d["periods"][1].update(period="2026-13"), ("$.periods[1].period", "scenario.bad_period")),
    (lambda d: d["periods"][1].update(period="1999-12"), ("$.periods[1].period", "scenario.bad_period")),
    (lambda d: d["tariffs"]["cold_water"][0].update(valid_from="2026-02-30"),
     ("$.tariffs.cold_water[0].valid_from", "scenario.bad_date")),
    (lambda d: d["services"][0].update(method="guess"), ("$.services[0].method", "scenario.not_allowed")),
    (lambda d: d["account"].update(residents="2"), ("$.account.residents", "scenario.wrong_type")),
    (lambda d: d.update(format="gorod.accruals.scenario/2"), ("$.format", "scenario.bad_format_version")),
    (lambda d: d["tariffs"].update({"Cold Water": d["tariffs"]["cold_water"]}), ("$.tariffs", "scenario.bad_code")),
    (lambda d: d["tariffs"].update(gas=[{"rate": "10"}]), ("$.tariffs.gas", "scenario.unknown_service")),
    (lambda d: d["meters"][0].update(service="hot_water"), ("$.meters[0].service", "scenario.unknown_service")),
    (lambda d: d["periods"].append({"period": "2026-05"}), ("$.periods[2].period", "scenario.periods_not_consecutive")),
    (lambda d: d["meters"][0]["readings"][2].update(value="99.000"), ("$.meters[0].readings[2].value", "scenario.reading_decreased")),
    (lambda d: d["meters"][0]["readings"][2].update(date="2026-03-20"),
     ("$.meters[0].readings[2]", "scenario.reading_period_or_date")),
    (lambda d: d["meters"][0]["readings"].reverse(), ("$.meters[0].readings[1]", "scenario.out_of_order")),
    (lambda d: d["meters"][0].update(history=[{"period": "2026-02", "volume": "5"}]),
     ("$.meters[0].history[0].period", "scenario.history_in_calculated_period")),
    (lambda d: d["meters"][0].update(history=[{"period": "2026-01", "volume": "5"}], readings=[
        {"period": "2025-12", "value": "90"}, *d["meters"][0]["readings"]]),
     ("$.meters[0].history[0].volume", "scenario.history_conflict")),
    (lambda d: d["meters"].append(dict(d["meters"][0])), ("$.meters[1].id", "scenario.duplicate_id")),
    (lambda d: d["tariffs"]["cold_water"][0].update(valid_from="2026-04-01"), ("$.periods[0]", "scenario.cannot_charge")),
    (lambda d: d.update(settings={"engine": {"average_min_months": 7}}), ("$.settings.engine", "scenario.bad_setting")),
    (lambda d: d.update(settings={"engine": {"share_quantum": "0"}}), ("$.settings.engine.share_quantum", "scenario.bad_setting")),
    (lambda d: d.update(absences=[{"persons": 1, "departed_on": "2026-03-10", "returned_on": "2026-03-01"}]),
     ("$.absences[0].returned_on", "scenario.bad_absence")),
    (lambda d: d.update(penalties={"calculation_date": "2026-06-30", "payments": [{"date": "2026-05-01", "amount_kopecks": 10.5}]}),
     ("$.penalties.payments[0].amount_kopecks", "scenario.bad_kopecks")),
    (lambda d: d.update(penalties={"calculation_date": "2026-06-30", "payments": [{"date": "2026-05-01", "amount_kopecks": 1000.0}]}),
     ("$.penalties.payments[0].amount_kopecks", "scenario.bad_kopecks")),
    (lambda d: d.update(penalties={"calculation_date": "2026-06-30", "debts": [{"period": "2026-02", "amount_kopecks": 100}]}),
     ("$.penalties.debts[0].period", "scenario.debt_for_calculated_period")),
    (lambda d: d.update(subsidy={"family_size": 2, "standard_cost_per_member_kopecks": 1, "standard_costs_kopecks": {"1": 1},
                                 "family_income_kopecks": 1, "subsistence_minimum_kopecks": 1}), ("$.subsidy", "scenario.choose_one")),
    (lambda d: d.update(benefits={"beneficiaries": [{"id": "a", "pct": "150"}]}),
     ("$.benefits.beneficiaries[0].pct", "scenario.bad_percent")),
    (lambda d: d.update(benefits={"family_size": 1, "beneficiaries": [{"id": "a", "pct": "50"}, {"id": "b", "pct": "50"}]}),
     ("$.benefits", "scenario.benefit_error")),
    (lambda d: d.update(benefits={"beneficiaries": [{"id": "a", "pct": "50"}]}, norms={}),
     ("$.norms.cold_water", "scenario.benefit_norm_missing")),
])
def test_a_problem_has_its_path_and_code(edit, expected):
    assert expected in problems(changed(edit))


def test_all_problems_of_a_document_are_reported_in_order():
    def edit(d):
        d["periods"][1]["period"] = "2026-3"
        d["meters"][0]["readings"][0]["value"] = "-1"
        d["account"]["extra"] = 1
    assert problems(changed(edit)) == [("$.account.extra", "scenario.unknown_field"),
                                       ("$.meters[0].readings[0].value", "scenario.bad_decimal"),
                                       ("$.periods[1].period", "scenario.bad_period")]


@pytest.mark.parametrize(("text", "code"), [
    ("{", "scenario.not_json"),
    ('{"a": NaN}', "scenario.not_json"),
    (b"\xff\xfe{}", "scenario.not_utf8"),
    ("[]", "scenario.wrong_type"),
    ('{"format": "gorod.accruals.scenario/1", "account": {"number": "1", "number": "2", "total_area": "1", "residents": 1}}',
     "scenario.duplicate_key"),
])
def test_undecodable_documents(text, code):
    with pytest.raises(ScenarioInvalid) as caught:
        calculator.calculate_text(text)
    assert caught.value.problems[0].code == code


def test_a_duplicate_key_is_reported_where_it_is():
    text = json.dumps(BASE)[:-1] + ', "periods": []}'
    with pytest.raises(ScenarioInvalid) as caught:
        calculator.calculate_text(text)
    assert [(p.path, p.code) for p in caught.value.problems] == [("$.periods", "scenario.duplicate_key")]


def test_a_document_over_the_size_limit_is_refused_before_parsing():
    text = json.dumps({**BASE, "description": "x" * calculator.MAX_DOCUMENT_BYTES})
    with pytest.raises(ScenarioInvalid) as caught:
        calculator.calculate_text(text)
    assert [p.code for p in caught.value.problems] == ["scenario.too_large"]
    with pytest.raises(DomainError) as refused:
        handler.calculate(text)
    assert (refused.value.code, refused.value.field) == ("scenario.too_large", "scenario_json")


def test_the_handler_refuses_a_result_over_its_cap(monkeypatch):
    monkeypatch.setattr(handler, "MAX_RESULT_BYTES", 1000)
    with pytest.raises(DomainError) as caught:
        handler.calculate(json.dumps(BASE))
    assert (caught.value.code, caught.value.field) == ("scenario.result_too_large", "scenario_json")


def test_the_handler_names_the_first_problems():
    with pytest.raises(DomainError) as caught:
        handler.calculate(json.dumps(changed(lambda d: d["meters"][0]["readings"][2].update(value="1,5"))))
    error = caught.value
    assert (error.code, error.field, error.grpc_status) == ("scenario.invalid", "$.meters[0].readings[2].value", "INVALID_ARGUMENT")
    assert error.message.startswith("the scenario is invalid, 1 problem: $.meters[0].readings[2].value: [scenario.bad_decimal]")
    assert json.loads(handler.calculate(json.dumps(BASE)))["totals"]["total_kopecks"] == 2 * 18235


# -- the CLI ------------------------------------------------------------------------------------------

def run_cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "accruals.calculator", *args], input=stdin, capture_output=True, timeout=60)


def test_cli_invalid_scenario_exits_1_with_the_problems_on_stderr(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(changed(lambda d: (d["account"].pop("residents"), d["periods"][0].update(period="2026-00")))))
    process = run_cli(str(path))
    assert process.returncode == 1 and process.stdout == b""
    lines = process.stderr.decode().splitlines()
    assert lines == ["accruals.calculator: the scenario is invalid (2 problems):",
                     "$.account.residents: [scenario.required] 'residents' is required",
                     lines[2]]
    assert lines[2].startswith("$.periods[0].period: [scenario.bad_period] expected a settlement period")


def test_cli_usage_errors_exit_2(tmp_path):
    assert run_cli().returncode == 2
    assert run_cli(str(tmp_path / "missing.json")).returncode == 2
    assert run_cli("a.json", "--colour").returncode == 2
    process = run_cli(str(tmp_path))
    assert process.returncode == 2 and b"cannot read" in process.stderr


def test_cli_reads_standard_input():
    process = run_cli("-", stdin=json.dumps(BASE).encode())
    assert process.returncode == 0, process.stderr.decode()
    assert json.loads(process.stdout) == calculator.calculate(copy.deepcopy(BASE))

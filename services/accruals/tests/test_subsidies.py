"""Subsidies (ПП РФ № 761): the standard cost, the correction coefficient К, the limits."""
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accruals.domain import subsidies as sb
from accruals.domain.subsidies import SubsidySettings, subsidy

M = Decimal


def examples():
    here = Path(__file__).resolve()
    for path in (here.parents[3].parent / "shared" / "domain" / "examples.json", Path("/work/shared/domain/examples.json")):
        if path.exists():
            return {item["id"]: item for item in json.loads(path.read_text(encoding="utf-8"))}
    return None


def e27(**kw):
    args = dict(family_size=2, standard_cost_per_member="5200.00", family_income="34000.00", subsistence_minimum="14000.00",
                actual_expenses="9800.00")
    return subsidy(**{**args, **kw})


def e28(actual, **kw):
    return subsidy(family_size=3, standard_cost_per_member="4100.00", family_income="36000.00", subsistence_minimum="15000.00",
                   actual_expenses=actual, **kw)


def test_e27_income_not_below_the_minimum():
    result = e27()
    assert result.standard_cost == M("10400.00")
    assert result.per_capita_income == M("17000")
    assert result.k == 1 and not result.k_applied
    assert result.family_share == M("7480")
    assert result.amount == M("2920.00")


def test_e28_income_below_the_minimum_uses_k():
    result = e28("8000.00")
    assert result.per_capita_income == M("12000")
    assert result.k == M("0.8") and result.k_applied
    assert result.effective_share == M("0.176")
    assert result.standard_cost == M("12300.00")
    assert result.raw == M("5964")
    assert result.amount == M("5964.00")


def test_e28_the_subsidy_is_never_above_the_actual_expenses():
    assert e28("5000.00").amount == M("5000.00")


def test_e27_e28_match_the_shared_examples_file():
    data = examples()
    if data is None:
        pytest.skip("shared/domain/examples.json not found beside the repository")
    for case_id in ("E-27", "E-28"):
        inputs, expected = data[case_id]["inputs"], data[case_id]["expected"]
        actuals = inputs.get("actual_expenses_variants") or [inputs["actual_expenses"]]
        results = [subsidy(family_size=inputs["family_size"], standard_cost_per_member=inputs["regional_standard_cost_per_member"],
                           family_income=inputs["monthly_family_income"], subsistence_minimum=inputs["subsistence_min_per_capita"],
                           actual_expenses=actual, settings=SubsidySettings(max_share_pct=M(inputs["max_share_pct"])))
                   for actual in actuals]
        assert results[0].per_capita_income == M(expected["per_capita_income"])
        if case_id == "E-27":
            assert results[0].amount == M(expected["subsidy_rub"])
        else:
            assert results[0].k == M(expected["K"]) and results[0].effective_share == M(expected["effective_share"])
            assert [r.amount for r in results] == [M(expected["subsidy_if_actual_8000"]), M(expected["subsidy_if_actual_5000"])]


def test_the_explanation_shows_every_intermediate_value():
    steps = dict(e28("8000.00").explanation.steps)
    assert steps["ССЖКУ = РСС × n"] == "4100.00 × 3 = 12300.00"
    assert steps["К = СД / ПМ (СД < ПМ)"] == "12000.00 / 15000.00 = 0.8"
    assert steps["МДД × К"] == "22 % × 0.8 = 0.176"
    assert steps["МДД × К × Д"] == "0.176 × 36000.00 = 6336"
    assert steps["С = max(0; min(С; ФР)), округление до копейки"] == "max(0; min(5964; 8000.00)) = 5964.00"
    assert e27().explanation.inputs["МДД, %"] == "22"
    assert "не применяется" in dict(e27().explanation.steps)["К"]


def test_income_exactly_at_the_minimum_does_not_apply_k():
    result = e27(family_income="28000.00")             # СД = 14000 = ПМ
    assert result.k == 1 and not result.k_applied
    assert result.amount == M("4240.00")               # 10400 − 0.22 × 28000


def test_a_high_income_gives_zero_never_negative():
    result = e27(family_income="100000.00")
    assert result.raw < 0 and result.amount == M("0.00")


def test_no_income_gives_the_standard_cost_within_the_actual_expenses():
    assert e27(family_income="0").amount == M("9800.00")
    assert e27(family_income="0", actual_expenses="20000.00").amount == M("10400.00")


def test_the_base_min_standard_actual_is_a_setting():
    result = e28("8000.00", settings=SubsidySettings(base=sb.BASE_MIN_STANDARD_ACTUAL))
    assert result.base == M("8000.00")
    assert result.amount == M("1664.00")               # 8000 − 6336
    assert "min(ССЖКУ; ФР)" in result.explanation.formula


def test_the_maximum_share_is_a_setting():
    assert e27(settings=SubsidySettings(max_share_pct=M(10))).amount == M("7000.00")   # 10400 − 3400


def test_k_is_kept_at_full_precision_unless_configured():
    # СД = 12000 / ПМ 14000 → К = 0.857142857…
    full = subsidy(family_size=3, standard_cost_per_member="4100.00", family_income="36000.00", subsistence_minimum="14000.00",
                   actual_expenses="9000.00")
    assert full.raw.quantize(M("0.000001")) == M("5511.428571")
    assert full.amount == M("5511.43")
    two = subsidy(family_size=3, standard_cost_per_member="4100.00", family_income="36000.00", subsistence_minimum="14000.00",
                  actual_expenses="9000.00", settings=SubsidySettings(k_places=2))
    assert two.k == M("0.86") and two.amount == M("5488.80")     # 12300 − 0.22 × 0.86 × 36000


def test_helpers():
    table = {1: "5600.00", 2: "5200.00", 3: "4100.00", 4: "3900.00", 5: "3700.00"}
    assert sb.standard_cost_per_member(table, 2) == M("5200.00")
    assert sb.standard_cost_per_member(table, 7) == M("3700.00")      # 5 means 5 and more
    assert sb.average_monthly_income(["30000", "32000", "34000", "36000", "38000", "34000"]) == M(34000)
    assert sb.family_subsistence_minimum(["16000", "14000", "12000"]) == M(14000)
    with pytest.raises(ValueError):
        sb.average_monthly_income(["1", "2"])


@pytest.mark.parametrize("kw", [dict(family_size=0), dict(family_size=True), dict(subsistence_minimum="0"),
                                dict(family_income="-1"), dict(actual_expenses="1.001")])
def test_bad_inputs_are_refused(kw):
    with pytest.raises(ValueError):
        e27(**kw)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        e27(family_income=34000.0)


money_values = st.integers(min_value=0, max_value=5_000_000).map(lambda k: M(k) / 100)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), money_values, money_values, st.integers(100_000, 3_000_000).map(lambda k: M(k) / 100), money_values,
       st.sampled_from([sb.BASE_STANDARD, sb.BASE_MIN_STANDARD_ACTUAL]))
def test_the_subsidy_stays_within_zero_and_the_actual_expenses(n, per_member, income, minimum, actual, base):
    result = subsidy(family_size=n, standard_cost_per_member=per_member, family_income=income, subsistence_minimum=minimum,
                     actual_expenses=actual, settings=SubsidySettings(base=base))
    assert M(0) <= result.amount <= actual
    assert result.amount == result.amount.quantize(M("0.01"))
    assert 0 <= result.k <= 1

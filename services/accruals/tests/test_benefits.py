"""Benefits (льготы): area- and volume-based shares, social norms, cash-equivalent and discount modes."""
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accruals.domain import benefits as bn
from accruals.domain.benefits import Beneficiary, BenefitSettings, area_benefit, social_norm_area, volume_benefit
from gorod_runtime.period import Period

M = Decimal
CASH = BenefitSettings(mode=bn.CASH_EQUIVALENT)
DISCOUNT = BenefitSettings(mode=bn.DISCOUNT)
FEB = Period(2026, 2)


def examples():
    here = Path(__file__).resolve()
    for path in (here.parents[3].parent / "shared" / "domain" / "examples.json", Path("/work/shared/domain/examples.json")):
        if path.exists():
            return {item["id"]: item for item in json.loads(path.read_text(encoding="utf-8"))}
    return None


def e29(mode_settings, **kw):
    charge = (M("45.0") * M("31.20")).quantize(M("0.01"))           # the charge engine's line: 1404.00
    args = dict(service="содержание", charge=charge, area="45.0", family_size=1,
                beneficiaries=[Beneficiary("p1", M(50), "ветеран труда")], settings=mode_settings, period=FEB)
    return area_benefit(**{**args, **kw})


# -- E-29 ---------------------------------------------------------------------------------

def test_e29_discount_mode():
    result = e29(DISCOUNT)
    assert result.charge == M("1404.00")
    assert result.total == M("514.80")
    assert result.discount == M("514.80") and result.benefit_line == M("-514.80")
    assert result.to_pay == M("889.20")
    assert result.exports == ()


def test_e29_cash_equivalent_mode_is_the_default():
    result = e29(None)
    assert result.shares[0].mode == bn.CASH_EQUIVALENT
    assert result.to_pay == M("1404.00") and result.benefit_line == 0
    assert result.cash_equivalent == M("514.80")
    (record,) = result.exports
    assert (record.beneficiary_id, record.category, record.service, record.period, record.amount) == (
        "p1", "ветеран труда", "содержание", FEB, M("514.80"))
    assert dict(record.explanation.steps)["расчёт"] == "50 % × 1404.00 × 33.0000 / 45 = 514.800000"


def test_e29_matches_the_shared_examples_file():
    data = examples()
    if data is None:
        pytest.skip("shared/domain/examples.json not found beside the repository")
    inputs, expected = data["E-29"]["inputs"], data["E-29"]["expected"]
    charge = (M(inputs["area_m2"]) * M(inputs["tariff_maintenance_rub_per_m2"])).quantize(M("0.01"))
    assert charge == M(expected["charge_rub"])
    assert social_norm_area(inputs["family_size"]) == M(inputs["social_norm_m2"])
    people = [Beneficiary("p1", M(inputs["benefit_pct"]))]
    for mode, key in ((DISCOUNT, "to_pay_if_discount_mode"), (CASH, "to_pay_if_cash_compensation_mode")):
        result = area_benefit(service="содержание", charge=charge, area=inputs["area_m2"], family_size=inputs["family_size"],
                              beneficiaries=people, settings=mode)
        assert result.total == M(expected["benefit_amount_rub"])
        assert result.to_pay == M(expected[key])


def test_e29_explains_itself():
    share = e29(DISCOUNT).shares[0]
    explanation = share.explanation
    assert explanation.formula == "льгота = % × начислено × min(S; S_норм(n)) / n / S"
    assert explanation.inputs["S_норм(n)"] == "33" and explanation.inputs["начислено"] == "1404.00"
    steps = dict(explanation.steps)
    assert steps["min(S; S_норм)"] == "min(45; 33) = 33"
    assert steps["округление до копейки (ROUND_HALF_UP)"] == "514.80"
    assert steps["режим"] == "скидка в квитанции"
    assert dict(e29(DISCOUNT).explanation.steps)["к оплате"] == "889.20"


# -- area ---------------------------------------------------------------------------------

@pytest.mark.parametrize("size, norm", [(1, 33), (2, 42), (3, 54), (4, 72), (6, 108)])
def test_barnaul_social_norms(size, norm):
    assert social_norm_area(size) == norm


def test_social_norms_are_settings():
    custom = BenefitSettings(norm_single_m2=M(33), norm_two_m2=M(42), norm_per_person_m2=M(21))
    assert social_norm_area(3, custom) == 63


def test_a_flat_smaller_than_the_norm_counts_its_whole_area():
    result = area_benefit(service="содержание", charge="936.00", area="30", family_size=1, beneficiaries=[Beneficiary("p1", M(50))],
                          settings=DISCOUNT)
    assert result.total == M("468.00")                              # 50 % of all of it


def test_one_beneficiary_in_a_family_of_three_gets_a_third_of_the_norm():
    # S 60 ≥ norm 54: share 18 m²; 50 % × 1872.00 × 18 / 60
    result = area_benefit(service="содержание", charge="1872.00", area="60", family_size=3, beneficiaries=[Beneficiary("p1", M(50))],
                          settings=DISCOUNT)
    assert result.shares[0].quantity == 18
    assert result.total == M("280.80")


def test_a_family_in_a_flat_below_the_norm_shares_the_actual_area():
    # S 45 < norm 54: each member's share is 45 / 3 = 15 m², not 18 m²
    result = area_benefit(service="содержание", charge="1404.00", area="45", family_size=3, beneficiaries=[Beneficiary("p1", M(50))],
                          settings=DISCOUNT)
    assert result.shares[0].quantity == 15
    assert result.total == M("234.00")


def test_every_member_at_100_percent_never_gets_more_than_the_charge():
    people = [Beneficiary(f"p{i}", M(100)) for i in range(3)]
    result = area_benefit(service="содержание", charge="1000.00", area="45", family_size=3, beneficiaries=people, settings=DISCOUNT)
    # each beneficiary's line is rounded on its own (rules.md §8): 3 × 333.33, a kopeck stays to pay
    assert [s.amount for s in result.shares] == [M("333.33")] * 3
    assert result.total == M("999.99") and result.to_pay == M("0.01")


def test_modes_per_beneficiary():
    people = [Beneficiary("p1", M(50), "ветеран труда (61-ЗС)"), Beneficiary("p2", M(50), "инвалид (181-ФЗ)", mode=bn.DISCOUNT)]
    result = area_benefit(service="капремонт", charge="1008.00", area="56", family_size=2, beneficiaries=people, settings=CASH)
    # norm 42 m² for two: 21 m² each; 50 % × 1008 × 21 / 56 = 189.00 each
    assert [(s.beneficiary_id, s.mode, s.amount) for s in result.shares] == [
        ("p1", bn.CASH_EQUIVALENT, M("189.00")), ("p2", bn.DISCOUNT, M("189.00"))]
    assert result.to_pay == M("819.00") and result.cash_equivalent == M("189.00")
    assert [r.beneficiary_id for r in result.exports] == ["p1"]


# -- volume -------------------------------------------------------------------------------

def test_a_volume_above_the_norm_counts_the_norm():
    result = volume_benefit(service="ХВС", charge="182.35", volume="5", norm_per_person="4.29", tariff="36.47", family_size=1,
                            beneficiaries=[Beneficiary("p1", M(50))], settings=DISCOUNT)
    assert result.shares[0].quantity == M("4.29")
    assert result.shares[0].raw == M("78.228150")
    assert result.total == M("78.23") and result.to_pay == M("104.12")


def test_a_volume_below_the_norm_counts_the_volume_and_rounds_half_up():
    # family of 3, one beneficiary, 9 m³ → 3 m³ each; 50 % × 3 × 36.47 = 54.705 → 54.71
    result = volume_benefit(service="ХВС", charge="328.23", volume="9", norm_per_person="4.29", tariff="36.47", family_size=3,
                            beneficiaries=[Beneficiary("p1", M(50))], settings=DISCOUNT)
    assert result.shares[0].quantity == 3
    assert result.total == M("54.71")
    assert dict(result.shares[0].explanation.steps)["min(объём; N)"] == "min(3.0000000; 4.29) = 3.0000000"


def test_the_literal_per_beneficiary_volume_share_is_a_setting():
    literal = BenefitSettings(mode=bn.DISCOUNT, volume_share=bn.VOLUME_SHARE_PER_BENEFICIARY)
    result = volume_benefit(service="ХВС", charge="328.23", volume="9", norm_per_person="4.29", tariff="36.47", family_size=3,
                            beneficiaries=[Beneficiary("p1", M(50))], settings=literal)
    assert result.total == M("78.23")                               # min(9, 1 × 4.29)


def test_the_norm_coefficient_1_5_is_not_compensated():
    # no meter though one could be installed: V = 1 × 4.29 × 1.5; the benefit counts one norm only
    result = volume_benefit(service="ХВС", charge="234.68", volume=M("4.29") * M("1.5"), norm_per_person="4.29", tariff="36.47",
                            family_size=1, beneficiaries=[Beneficiary("p1", M(50))], settings=DISCOUNT)
    assert result.total == M("78.23")


def test_all_members_beneficiaries_equals_the_group_formula():
    # pct × min(V, n × N) × T with n = 2: 50 % × min(10, 8.58) × 36.47 = 156.4563 → two shares of 78.23
    people = [Beneficiary("a", M(50)), Beneficiary("b", M(50))]
    result = volume_benefit(service="ХВС", charge="364.70", volume="10", norm_per_person="4.29", tariff="36.47", family_size=2,
                            beneficiaries=people, settings=DISCOUNT)
    assert sum(s.raw for s in result.shares) == M("0.5") * M("8.58") * M("36.47")
    assert result.total == M("156.46")


def test_no_beneficiaries_no_benefit():
    result = area_benefit(service="содержание", charge="1404.00", area="45", family_size=2, beneficiaries=[])
    assert result.total == 0 and result.to_pay == M("1404.00") and result.exports == ()


@pytest.mark.parametrize("kw", [dict(family_size=0), dict(area="0"), dict(charge="-1.00"),
                                dict(beneficiaries=[Beneficiary("p1", M(150))]),
                                dict(beneficiaries=[Beneficiary("p1", M(50)), Beneficiary("p1", M(50))]),
                                dict(beneficiaries=[Beneficiary("p1", M(50), mode="cash")])])
def test_bad_inputs_are_refused(kw):
    with pytest.raises(ValueError):
        e29(DISCOUNT, **kw)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        BenefitSettings(mode="voucher")
    with pytest.raises(ValueError):
        BenefitSettings(norm_single_m2=M(0))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(0, 1_000_000).map(lambda k: M(k) / 100), st.integers(10, 2000).map(lambda k: M(k) / 10),
       st.lists(st.integers(0, 100), min_size=0, max_size=6), st.sampled_from([bn.CASH_EQUIVALENT, bn.DISCOUNT]))
def test_area_benefits_stay_within_the_charge(size, charge, area, pcts, mode):
    people = [Beneficiary(f"p{i}", M(p)) for i, p in enumerate(pcts[:size])]
    result = area_benefit(service="s", charge=charge, area=area, family_size=size, beneficiaries=people,
                          settings=BenefitSettings(mode=mode))
    assert M(0) <= result.total <= charge
    assert M(0) <= result.to_pay <= charge
    assert result.to_pay == (charge - result.total if mode == bn.DISCOUNT else charge)
    assert all(s.amount == s.amount.quantize(M("0.01")) for s in result.shares)

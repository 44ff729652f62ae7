"""Penalties (ЖК РФ ст.155 ч.14): due dates, day bands, payments, rates, the cap, moratoria, rounding."""
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accruals.domain import penalties as pn
from accruals.domain.calendar import CalendarError, WorkingCalendar
from accruals.domain.explanation import round_money
from accruals.domain.penalties import Debt, Moratorium, Payment, PenaltySettings, due_date, nominal_due_date, penalty
from gorod_runtime.period import Period

D = dt.date
M = Decimal
P = Period.parse
RATE_20 = [(D(2016, 1, 1), M(20))]        # a key rate above the cap: the rate is 9.5 % in 2022–2026


def examples():
    here = Path(__file__).resolve()
    for path in (here.parents[3].parent / "shared" / "domain" / "examples.json", Path("/work/shared/domain/examples.json")):
        if path.exists():
            return {item["id"]: item for item in json.loads(path.read_text(encoding="utf-8"))}
    return None


def amounts(result):
    return [(s.start, s.end, s.days, s.base, s.fraction, s.rate_pct, s.amount) for s in result.segments]


# -- due date -----------------------------------------------------------------------------

def test_due_date_is_the_10th_up_to_period_2026_01():
    assert due_date(P("2025-01")) == D(2025, 2, 10)
    assert due_date(P("2026-01")) == D(2026, 2, 10)


def test_due_date_is_the_15th_from_period_2026_02_moved_off_a_sunday():
    assert nominal_due_date(P("2026-02")) == D(2026, 3, 15)        # a Sunday
    assert due_date(P("2026-02")) == D(2026, 3, 16)
    assert due_date("2026-03") == D(2026, 4, 15)


def test_the_switch_over_period_is_a_setting():
    later = PenaltySettings(switch_period=P("2026-03"))
    assert due_date(P("2026-02"), later) == D(2026, 3, 10)
    assert due_date(P("2026-03"), later) == D(2026, 4, 15)


@pytest.mark.parametrize("period, nominal, moved", [
    ("2025-12", D(2026, 1, 10), D(2026, 1, 12)),     # inside the New Year holidays (31.12–11.01)
    ("2024-04", D(2024, 5, 10), D(2024, 5, 13)),     # a transferred day off (Friday)
    ("2021-04", D(2021, 5, 10), D(2021, 5, 11)),     # 9 May on a Sunday → Monday 10 May off
    ("2022-04", D(2022, 5, 10), D(2022, 5, 11)),     # transferred from 2 January
    ("2025-04", D(2025, 5, 10), D(2025, 5, 12)),     # inside the Victory Day holidays (8–11 May)
])
def test_a_due_date_on_a_holiday_moves_to_the_next_working_day(period, nominal, moved):
    assert nominal_due_date(period) == nominal
    assert due_date(period) == moved


def test_a_due_date_on_a_transferred_working_saturday_stays():
    on_27th = PenaltySettings(due_day=27)
    assert due_date(P("2024-03"), on_27th) == D(2024, 4, 27)       # working Saturday (transfer to 29.04)
    assert due_date(P("2024-06"), on_27th) == D(2024, 7, 29)       # an ordinary Saturday moves


def test_moving_can_be_switched_off():
    assert due_date(P("2026-02"), PenaltySettings(move_to_working_day=False)) == D(2026, 3, 15)


def test_the_covid_decree_days_do_not_move_a_due_date_by_default():
    assert due_date(P("2020-03")) == D(2020, 4, 10)
    strict = PenaltySettings(calendar=WorkingCalendar.load(decree_days_non_working=True))
    assert due_date(P("2020-03"), strict) == D(2020, 5, 12)


def test_a_due_date_beyond_the_calendar_data_is_an_error():
    with pytest.raises(CalendarError):
        due_date(P("2027-12"))


# -- E-22 ---------------------------------------------------------------------------------

E22_SEGMENTS = [
    (D(2025, 3, 13), D(2025, 5, 11), 60, M("5000"), "1/300", M("9.5"), M("95.000000"), M("95.00")),
    (D(2025, 5, 12), D(2025, 6, 30), 50, M("5000"), "1/130", M("9.5"), M("182.692308"), M("182.69")),
]


@pytest.mark.parametrize("key_rates", [[(D(2025, 6, 9), M(20))], None], ids=["example-rate", "shipped-table"])
def test_e22_exactly(key_rates):
    result = penalty({P("2025-01"): M("5000.00")}, [Payment(D(2025, 6, 30), M("5000.00"))], D(2025, 6, 30), key_rates=key_rates)
    got = [(s.start, s.end, s.days, s.base, s.fraction, s.rate_pct, s.raw.quantize(M("0.000001")), s.amount) for s in result.segments]
    assert got == E22_SEGMENTS
    assert result.total == M("277.69")
    period = result.periods[0]
    assert (period.due, period.first_penalty_day, period.second_band_day) == (D(2025, 2, 10), D(2025, 3, 13), D(2025, 5, 12))
    assert [(s.delay_from, s.delay_to) for s in result.segments] == [(31, 90), (91, 140)]
    assert result.segments[0].key_rates == ((D(2025, 6, 30), M(20)),)


def test_e22_matches_the_shared_examples_file():
    data = examples()
    if data is None:
        pytest.skip("shared/domain/examples.json not found beside the repository")
    case = data["E-22"]
    inputs = case["inputs"]
    result = penalty({P(inputs["period"]): M(inputs["debt"])}, [Payment(D.fromisoformat(inputs["payment_date"]), M(inputs["debt"]))],
                     D.fromisoformat(inputs["payment_date"]),
                     key_rates=[(D.fromisoformat(inputs["payment_date"]), M(inputs["key_rate_on_payment_day_pct"]))])
    assert result.periods[0].due == D.fromisoformat(inputs["due_date"])
    expected = [(D.fromisoformat(s["from"]), D.fromisoformat(s["to"]), s["days"], M(s["debt"]), s["fraction"], M(s["rate_pct"]),
                 M(s["raw"]), M(s["amount"])) for s in case["expected"]["segments"]]
    got = [(s.start, s.end, s.days, s.base, s.fraction, s.rate_pct, s.raw.quantize(M("0.000001")), s.amount) for s in result.segments]
    assert got == expected
    assert result.total == M(case["expected"]["total_penalty"])


def test_e22_segments_explain_themselves():
    result = penalty({P("2025-01"): M("5000.00")}, [Payment(D(2025, 6, 30), M("5000.00"))], D(2025, 6, 30), key_rates=RATE_20)
    explanation = result.segments[1].explanation
    assert explanation.formula == "пени = база × дни × ставка / 100 / 130"
    assert explanation.inputs["дни просрочки"] == "91–140"
    assert explanation.inputs["ставка"] == "min(9.5 %; ключевая 20 % на 30.06.2025) = 9.5 %"
    assert dict(explanation.steps)["расчёт"] == "5000.00 × 50 × 9.5 / 100 / 130 = 182.692308"
    assert dict(explanation.steps)["округление до копейки (ROUND_HALF_UP)"] == "182.69"
    steps = dict(result.periods[0].explanation.steps)
    assert steps["31-й день просрочки (1/300)"] == "13.03.2025"
    assert steps["итого пени за период"] == "277.69"
    assert "277.69" in result.explanation.text()


# -- day bands ----------------------------------------------------------------------------

def one_debt(calc, payments=(), **kw):
    return penalty({P("2025-01"): M("1000.00")}, payments, calc, key_rates=RATE_20, **kw)


def test_day_30_gives_nothing():
    result = one_debt(D(2025, 3, 12))
    assert result.total == 0 and result.segments == ()


def test_day_31_is_the_first_penalty_day():
    result = one_debt(D(2025, 3, 13))
    assert amounts(result) == [(D(2025, 3, 13), D(2025, 3, 13), 1, M(1000), "1/300", M("9.5"), M("0.32"))]
    assert result.segments[0].delay_from == 31


def test_day_90_is_the_last_day_at_1_300():
    result = one_debt(D(2025, 5, 11))
    assert amounts(result) == [(D(2025, 3, 13), D(2025, 5, 11), 60, M(1000), "1/300", M("9.5"), M("19.00"))]
    assert result.segments[-1].delay_to == 90


def test_day_91_is_the_first_day_at_1_130():
    result = one_debt(D(2025, 5, 12))
    assert [s.fraction for s in result.segments] == ["1/300", "1/130"]
    assert result.segments[1].days == 1 and result.segments[1].delay_from == 91
    assert result.segments[1].raw.quantize(M("0.000001")) == M("0.730769")
    assert result.total == M("19.73")


def test_paid_on_day_30_no_penalty_paid_on_day_31_one_day():
    assert one_debt(D(2025, 12, 31), [Payment(D(2025, 3, 12), M("1000.00"))]).total == 0
    assert one_debt(D(2025, 12, 31), [Payment(D(2025, 3, 13), M("1000.00"))]).total == M("0.32")
    same_day = PenaltySettings(payment_reduces_base_next_day=False)
    assert one_debt(D(2025, 12, 31), [Payment(D(2025, 3, 13), M("1000.00"))], settings=same_day).total == 0


def test_a_payment_after_the_calculation_date_is_ignored():
    assert one_debt(D(2025, 5, 11), [Payment(D(2025, 5, 12), M("1000.00"))]).total == M("19.00")


# -- payments -----------------------------------------------------------------------------

def test_a_partial_payment_reduces_the_base_from_the_next_day():
    result = penalty({P("2025-01"): M("5000.00")}, [Payment(D(2025, 4, 1), M("2000.00")), Payment(D(2025, 6, 30), M("3000.00"))],
                     D(2025, 6, 30), key_rates=None)
    assert amounts(result) == [
        (D(2025, 3, 13), D(2025, 4, 1), 20, M(5000), "1/300", M("9.5"), M("31.67")),
        (D(2025, 4, 2), D(2025, 5, 11), 40, M(3000), "1/300", M("9.5"), M("38.00")),
        (D(2025, 5, 12), D(2025, 6, 30), 50, M(3000), "1/130", M("9.5"), M("109.62")),
    ]
    assert result.total == M("179.29")
    # each tranche is priced at the key rate on its own payment day (21 % on 01.04, 20 % on 30.06)
    assert result.segments[0].key_rates == ((D(2025, 4, 1), M(21)), (D(2025, 6, 30), M(20)))


def test_a_payment_reducing_the_base_on_its_own_day_is_a_setting():
    result = penalty({P("2025-01"): M("5000.00")}, [Payment(D(2025, 4, 1), M("2000.00")), Payment(D(2025, 6, 30), M("3000.00"))],
                     D(2025, 6, 30), key_rates=RATE_20, settings=PenaltySettings(payment_reduces_base_next_day=False))
    assert [(s.start, s.end, s.amount) for s in result.segments] == [
        (D(2025, 3, 13), D(2025, 3, 31), M("30.08")), (D(2025, 4, 1), D(2025, 5, 11), M("38.95")),
        (D(2025, 5, 12), D(2025, 6, 29), M("107.42"))]


def test_two_periods_have_separate_counters():
    result = penalty({P("2025-01"): M("5000.00"), P("2025-02"): M("3000.00")}, [], D(2025, 6, 30), key_rates=RATE_20)
    january, february = result.periods
    assert (february.due, february.first_penalty_day, february.second_band_day) == (D(2025, 3, 10), D(2025, 4, 10), D(2025, 6, 9))
    assert [s.amount for s in january.segments] == [M("95.00"), M("182.69")]
    assert [(s.start, s.end, s.days, s.amount) for s in february.segments] == [
        (D(2025, 4, 10), D(2025, 6, 8), 60, M("57.00")), (D(2025, 6, 9), D(2025, 6, 30), 22, M("48.23"))]
    assert result.total == M("382.92")


def test_payments_go_to_the_oldest_period_first():
    result = penalty({P("2025-01"): M("5000.00"), P("2025-02"): M("3000.00")}, [Payment(D(2025, 4, 1), M("5000.00"))],
                     D(2025, 6, 30), key_rates=RATE_20)
    january, february = result.periods
    assert [(p.date, p.amount) for p in january.paid] == [(D(2025, 4, 1), M("5000.00"))]
    assert january.total == M("31.67") and february.total == M("105.23")
    assert result.total == M("136.90")


def test_newest_first_is_a_setting():
    result = penalty({P("2025-01"): M("5000.00"), P("2025-02"): M("3000.00")}, [Payment(D(2025, 4, 1), M("5000.00"))],
                     D(2025, 6, 30), key_rates=RATE_20, settings=PenaltySettings(payment_order=pn.NEWEST_FIRST))
    january, february = result.periods
    assert february.total == 0 and january.total == M("179.29")


def test_a_payment_naming_its_period_goes_there():
    result = penalty({P("2025-01"): M("5000.00"), P("2025-02"): M("3000.00")}, [Payment(D(2025, 4, 1), M("3000.00"), P("2025-02"))],
                     D(2025, 6, 30), key_rates=RATE_20)
    assert result.periods[1].total == 0
    assert result.total == M("277.69")


def test_an_advance_covers_later_periods_from_their_first_day():
    result = penalty({P("2025-01"): M("5000.00"), P("2025-02"): M("3000.00")}, [Payment(D(2025, 1, 20), M("8000.00"))],
                     D(2025, 12, 31), key_rates=RATE_20)
    assert result.total == 0
    assert result.periods[1].paid == (pn.Allocation(D(2025, 2, 1), M("3000.00"), "advance"),)


def test_time_barred_periods_take_payments_last_when_configured():
    debts = {P("2021-01"): M("1000.00"), P("2025-01"): M("5000.00")}
    pay = [Payment(D(2025, 4, 1), M("1000.00"))]
    plain = penalty(debts, pay, D(2025, 4, 1), key_rates=RATE_20)
    barred = penalty(debts, pay, D(2025, 4, 1), key_rates=RATE_20, settings=PenaltySettings(time_barred_years=3))
    assert plain.periods[0].period == P("2021-01") and plain.periods[0].unpaid == 0
    assert barred.periods[0].unpaid == M("1000.00") and barred.periods[1].unpaid == M("4000.00")


# -- rates and the cap --------------------------------------------------------------------

def test_a_key_rate_below_the_cap_is_used_and_each_tranche_has_its_own_rate():
    # 2023: key rate 7.5 % until 23.07, 12 % from 15.08 (capped at 9.5 %)
    result = penalty({P("2023-03"): M("10000.00")}, [Payment(D(2023, 7, 20), M("4000.00")), Payment(D(2023, 8, 20), M("6000.00"))],
                     D(2023, 8, 20), key_rates=None)
    assert result.periods[0].due == D(2023, 4, 10)
    assert amounts(result) == [
        (D(2023, 5, 11), D(2023, 7, 9), 60, M(4000), "1/300", M("7.5"), M("60.00")),
        (D(2023, 5, 11), D(2023, 7, 9), 60, M(6000), "1/300", M("9.5"), M("114.00")),
        (D(2023, 7, 10), D(2023, 7, 20), 11, M(4000), "1/130", M("7.5"), M("25.38")),
        (D(2023, 7, 10), D(2023, 8, 20), 42, M(6000), "1/130", M("9.5"), M("184.15")),
    ]
    assert result.total == M("383.53")
    assert result.segments[0].cap_pct == M("9.5") and result.segments[0].key_rates == ((D(2023, 7, 20), M("7.5")),)


def test_the_rate_on_the_calculation_date_for_every_tranche_is_a_setting():
    result = penalty({P("2023-03"): M("10000.00")}, [Payment(D(2023, 7, 20), M("4000.00")), Payment(D(2023, 8, 20), M("6000.00"))],
                     D(2023, 8, 20), key_rates=None, settings=PenaltySettings(rate_on=pn.RATE_ON_CALCULATION_DATE))
    assert [(s.days, s.base, s.amount) for s in result.segments] == [(60, M(10000), M("190.00")), (11, M(10000), M("80.38")),
                                                                    (31, M(6000), M("135.92"))]


def test_an_unpaid_debt_takes_the_rate_on_the_calculation_date():
    july = penalty({P("2023-03"): M("1000.00")}, [], D(2023, 7, 20), key_rates=None)
    august = penalty({P("2023-03"): M("1000.00")}, [], D(2023, 8, 20), key_rates=None)
    assert {s.rate_pct for s in july.segments} == {M("7.5")}
    assert {s.rate_pct for s in august.segments} == {M("9.5")}


def test_the_cap_applies_from_28_february_2022_on_accrual_days():
    # due 10.12.2021, paid 15.03.2022 when the key rate was 20 %
    paid = [Payment(D(2022, 3, 15), M("1000.00"))]
    result = penalty({P("2021-11"): M("1000.00")}, paid, D(2022, 3, 15), key_rates=None, moratoria=())
    assert amounts(result) == [
        (D(2022, 1, 10), D(2022, 2, 27), 49, M(1000), "1/300", M(20), M("32.67")),
        (D(2022, 2, 28), D(2022, 3, 10), 11, M(1000), "1/300", M("9.5"), M("3.48")),
        (D(2022, 3, 11), D(2022, 3, 15), 5, M(1000), "1/130", M("9.5"), M("3.65")),
    ]
    assert result.segments[0].cap_pct is None
    by_payment_date = penalty({P("2021-11"): M("1000.00")}, [Payment(D(2022, 3, 15), M("1000.00"))], D(2022, 3, 15), key_rates=None,
                              moratoria=(), settings=PenaltySettings(cap_window_by=pn.CAP_BY_RATE_DATE))
    assert [s.amount for s in by_payment_date.segments] == [M("19.00"), M("3.65")]


def test_the_cap_ends_on_31_december_2026():
    result = penalty({P("2026-10"): M("1000.00")}, [], D(2027, 1, 10), key_rates=[(D(2025, 12, 22), M(16))])
    assert result.periods[0].due == D(2026, 11, 16)                 # 15.11.2026 is a Sunday
    assert [(s.start, s.end, s.rate_pct, s.amount) for s in result.segments] == [
        (D(2026, 12, 17), D(2026, 12, 31), M("9.5"), M("4.75")), (D(2027, 1, 1), D(2027, 1, 10), M(16), M("5.33"))]


def test_cap_value_and_window_are_settings():
    result = one_debt(D(2025, 3, 13), settings=PenaltySettings(cap_pct=M("7.5")))
    assert result.segments[0].rate_pct == M("7.5")
    result = one_debt(D(2025, 3, 13), settings=PenaltySettings(cap_until=D(2024, 12, 31)))
    assert result.segments[0].rate_pct == M(20) and result.segments[0].cap_pct is None


# -- moratoria ----------------------------------------------------------------------------

def test_a_moratorium_in_the_middle_of_a_delay_stops_accrual_but_not_the_counter():
    result = penalty({P("2022-01"): M("1000.00")}, [], D(2022, 10, 31), key_rates=None)
    assert amounts(result) == [
        (D(2022, 3, 13), D(2022, 3, 31), 19, M(1000), "1/300", M("7.5"), M("4.75")),
        (D(2022, 10, 2), D(2022, 10, 31), 30, M(1000), "1/130", M("7.5"), M("17.31")),
    ]
    assert result.segments[1].delay_from == 234


def test_a_moratorium_pausing_the_counter_is_a_setting():
    result = penalty({P("2022-01"): M("1000.00")}, [], D(2022, 10, 31), key_rates=None,
                     settings=PenaltySettings(moratorium_pauses_counter=True))
    assert result.periods[0].second_band_day == D(2022, 11, 12)
    assert [(s.start, s.days, s.fraction, s.amount, s.delay_from, s.delay_to) for s in result.segments] == [
        (D(2022, 3, 13), 19, "1/300", M("4.75"), 31, 49), (D(2022, 10, 2), 30, "1/300", M("7.50"), 50, 79)]


def test_moratoria_are_data():
    stop = [Moratorium(D(2025, 4, 1), D(2025, 4, 30))]
    result = penalty({P("2025-01"): M("5000.00")}, [Payment(D(2025, 6, 30), M("5000.00"))], D(2025, 6, 30), key_rates=RATE_20,
                     moratoria=stop)
    assert [(s.start, s.end, s.amount) for s in result.segments] == [
        (D(2025, 3, 13), D(2025, 3, 31), M("30.08")), (D(2025, 5, 1), D(2025, 5, 11), M("17.42")),
        (D(2025, 5, 12), D(2025, 6, 30), M("182.69"))]
    assert pn.DEFAULT_MORATORIA[0].start == D(2020, 4, 6) and pn.DEFAULT_MORATORIA[1].end == D(2022, 10, 1)


def test_the_2020_moratorium_by_default():
    result = penalty({P("2020-01"): M("1000.00")}, [Payment(D(2021, 1, 20), M("1000.00"))], D(2021, 1, 20), key_rates=None)
    assert [(s.start, s.end, s.fraction) for s in result.segments] == [
        (D(2020, 3, 12), D(2020, 4, 5), "1/300"), (D(2021, 1, 2), D(2021, 1, 20), "1/130")]


# -- one month of a run -------------------------------------------------------------------

def test_since_accrues_only_the_days_from_it():
    result = penalty({P("2025-01"): M("5000.00")}, [], D(2025, 6, 30), key_rates=RATE_20, since=D(2025, 6, 1))
    assert amounts(result) == [(D(2025, 6, 1), D(2025, 6, 30), 30, M(5000), "1/130", M("9.5"), M("109.62"))]
    assert result.segments[0].delay_from == 111


# -- inputs -------------------------------------------------------------------------------

def test_debts_as_objects_with_an_explicit_due_date():
    result = penalty([Debt(P("2025-01"), M("5000.00"), due=D(2025, 2, 10))], [Payment(D(2025, 6, 30), M("5000.00"))], D(2025, 6, 30),
                     key_rates=RATE_20)
    assert result.total == M("277.69")


@pytest.mark.parametrize("debts, error", [
    ({P("2025-01"): M("-1.00")}, ValueError),
    ({P("2025-01"): M("1.005")}, ValueError),
    ({P("2025-01"): 1000.0}, TypeError),
    ([Debt(P("2025-01"), M(1)), Debt(P("2025-01"), M(2))], ValueError),
])
def test_bad_debts_are_refused(debts, error):
    with pytest.raises(error):
        penalty(debts, [], D(2025, 6, 30), key_rates=RATE_20)


def test_bad_calls_are_refused():
    with pytest.raises(ValueError, match="not positive"):
        one_debt(D(2025, 6, 30), [Payment(D(2025, 3, 1), M(0))])
    with pytest.raises(ValueError, match="no key rate"):
        penalty({P("2025-01"): M("1.00")}, [], D(2025, 6, 30), key_rates=[(D(2025, 7, 1), M(20))])
    with pytest.raises(ValueError, match="since"):
        one_debt(D(2025, 6, 30), since=D(2025, 7, 1))
    with pytest.raises(TypeError):
        penalty({P("2025-01"): M("1.00")})
    with pytest.raises(ValueError):
        PenaltySettings(payment_order="random")
    with pytest.raises(ValueError):
        PenaltySettings(due_day=31)


def test_the_shipped_key_rate_table():
    table = pn.default_key_rates()
    assert table.on(D(2022, 2, 27)) == M("9.5")                     # the cap's reference value
    assert table.on(D(2022, 2, 28)) == M(20)
    assert table.on(D(2025, 6, 30)) == M(20)                        # E-22
    assert table.on(D(2025, 12, 22)) == M(16)


# -- properties ---------------------------------------------------------------------------

PERIODS = [Period(2024, m) for m in range(1, 13)] + [Period(2025, m) for m in range(1, 13)]
kopecks = st.integers(min_value=0, max_value=10_000_000).map(lambda k: M(k) / 100)
days = st.dates(min_value=D(2024, 2, 1), max_value=D(2026, 6, 30))
debt_sets = st.dictionaries(st.sampled_from(PERIODS), kopecks, min_size=1, max_size=4)
payment_lists = st.lists(st.builds(Payment, days, st.integers(min_value=1, max_value=5_000_000).map(lambda k: M(k) / 100)),
                         max_size=5)
rates = st.sampled_from([M("4.25"), M("7.5"), M("9.5"), M(16), M(21)]).map(lambda pct: [(D(2016, 1, 1), pct)])
option_sets = st.builds(PenaltySettings, payment_order=st.sampled_from([pn.OLDEST_FIRST, pn.NEWEST_FIRST]),
                        payment_reduces_base_next_day=st.booleans(), moratorium_pauses_counter=st.booleans(),
                        cap_window_by=st.sampled_from([pn.CAP_BY_ACCRUAL_DAY, pn.CAP_BY_RATE_DATE]))


@settings(max_examples=150, deadline=None)
@given(debt_sets, payment_lists, days, rates, option_sets)
def test_total_is_the_sum_of_rounded_segments_and_never_negative(debts, payments, calc, key_rates, options):
    result = penalty(debts, payments, calc, key_rates=key_rates, settings=options)
    assert result.total == sum((s.amount for s in result.segments), M(0))
    assert result.total == sum((p.total for p in result.periods), M(0))
    assert result.total >= 0
    for s in result.segments:
        assert s.amount == round_money(s.raw) and s.amount >= 0
        assert s.start <= s.end <= calc and s.days == (s.end - s.start).days + 1
        assert s.delay_from >= 31 and s.denominator in (300, 130)
    for p in result.periods:
        assert sum((part.amount for part in p.paid), M(0)) + p.unpaid == p.debt


@settings(max_examples=150, deadline=None)
@given(debt_sets, payment_lists, days, st.integers(min_value=1, max_value=200), rates, option_sets)
def test_penalty_is_monotone_in_days(debts, payments, calc, extra, key_rates, options):
    earlier = penalty(debts, payments, calc, key_rates=key_rates, settings=options)
    later = penalty(debts, payments, calc + dt.timedelta(days=extra), key_rates=key_rates, settings=options)
    assert later.total >= earlier.total
    for before, after in zip(earlier.periods, later.periods, strict=True):
        assert after.total >= before.total

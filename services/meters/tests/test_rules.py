"""Meter-reading rules without I/O: windows in the region's zone, validation, roll-over."""
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period
from meters.domain import readings as rules
from meters.domain import windows
from meters.domain.registry import Meter

TZ = "Asia/Barnaul"   # UTC+7
DEFAULT = windows.Window(23, 25, "next")
REFUSE = windows.Window(23, 25, "refuse")


def local(*args):
    import zoneinfo

    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(TZ)).astimezone(dt.UTC)


@pytest.mark.parametrize(("instant", "window", "period"), [
    (local(2026, 11, 23, 0, 0, 0), REFUSE, Period(2026, 11)),            # 22 Nov 17:00 UTC: another UTC date
    (local(2026, 11, 25, 23, 59, 59), REFUSE, Period(2026, 11)),
    (local(2026, 11, 26, 0, 0, 0), DEFAULT, Period(2026, 12)),           # 25 Nov 17:00 UTC, still the 25th in UTC
    (local(2026, 12, 26, 0, 0, 0), DEFAULT, Period(2027, 1)),            # into the next year
    (local(2026, 11, 10, 12, 0, 0), DEFAULT, Period(2026, 11)),          # before the window: this month's window is next
    (local(2026, 2, 28, 12, 0, 0), windows.Window(15, 31, "refuse"), Period(2026, 2)),   # 31 = the month's last day
])
def test_the_period_is_decided_in_the_regions_zone(instant, window, period):
    assert windows.period_for(window, instant, TZ) == period


@pytest.mark.parametrize("instant", [local(2026, 11, 22, 23, 59, 59), local(2026, 11, 26, 0, 0, 0)])
def test_a_refusing_window_refuses_just_outside(instant):
    with pytest.raises(DomainError) as error:
        windows.period_for(REFUSE, instant, TZ)
    assert error.value.code == "reading.outside_window"


def test_the_utc_date_alone_would_misfile_the_boundary():
    instant = local(2026, 11, 26, 0, 0, 0)
    assert instant.date() == dt.date(2026, 11, 25)      # in UTC it is still the 25th
    assert windows.period_for(DEFAULT, instant, TZ) == Period(2026, 12)


def test_the_most_specific_window_applies():
    rows = {("", ""): windows.Window(20, 25), ("7701", ""): windows.Window(18, 25), ("7701", "gas"): windows.Window(15, 25)}
    assert windows.choose(rows, "7701", "gas", DEFAULT).first_day == 15
    assert windows.choose(rows, "7701", "heat", DEFAULT).first_day == 18
    assert windows.choose(rows, "9999", "heat", DEFAULT).first_day == 20
    assert windows.choose({}, "9999", "heat", DEFAULT) is DEFAULT


NOW = local(2026, 11, 24, 10, 0, 0)
WATER = Meter(1, "100234567", "cold_water", "A1", 1, "m3", 5, 3)
POWER = Meter(2, "100234567", "electricity", "E1", 2, "kWh", 6, 0)


def submit(*readings, meters=(WATER, POWER), stored=None, now=NOW):
    submission = rules.Submission("100234567", tuple(readings))
    values = rules.validate_submission(submission)
    by_id = {m.id: m for m in meters}
    planned = rules.plan(submission, values, by_id, {m.id: DEFAULT for m in meters}, now, TZ)
    return rules.accept(submission, planned, stored or {}, now)


def code_of(*readings, **kwargs):
    with pytest.raises(DomainError) as error:
        submit(*readings, **kwargs)
    return error.value.code, error.value.field


def test_consumption_counts_from_the_previous_periods_reading():
    stored = {(1, ""): rules.Stored(Decimal("123.456"), Period(2026, 10))}
    [r] = submit(rules.ReadingInput("1", "128,579"), stored=stored).readings
    assert (r.value, r.consumption, r.period, r.rolled_over) == (Decimal("128.579"), Decimal("5.123"), Period(2026, 11), False)


def test_values_are_kept_at_the_meters_decimals():
    [r] = submit(rules.ReadingInput("1", "12.5")).readings
    assert str(r.value) == "12.500"
    assert code_of(rules.ReadingInput("1", "12.5001")) == ("reading.too_many_decimals", "readings[0].value")
    assert code_of(rules.ReadingInput("1", "123456")) == ("reading.too_many_digits", "readings[0].value")


def test_below_the_previous_value_is_refused_unless_the_dial_rolled_over():
    stored = {(1, ""): rules.Stored(Decimal("500"), Period(2026, 10))}
    assert code_of(rules.ReadingInput("1", "499"), stored=stored) == ("reading.below_previous", "readings[0].value")
    stored = {(1, ""): rules.Stored(Decimal("99990.5"), Period(2026, 10))}
    [r] = submit(rules.ReadingInput("1", "4.5"), stored=stored).readings
    assert (r.consumption, r.rolled_over) == (Decimal("14.000"), True)


def test_an_implausible_consumption_asks_for_confirmation():
    stored = {(1, ""): rules.Stored(Decimal("100"), Period(2026, 10))}
    assert code_of(rules.ReadingInput("1", "151"), stored=stored) == ("reading.confirmation_required", "readings[0].value")
    [r] = submit(rules.ReadingInput("1", "151", confirmed=True), stored=stored).readings
    assert r.consumption == Decimal("51.000")
    # Three months without readings: three months' worth is plausible.
    stored = {(1, ""): rules.Stored(Decimal("100"), Period(2026, 8))}
    assert submit(rules.ReadingInput("1", "245"), stored=stored).readings[0].consumption == Decimal("145.000")


def test_zones_of_a_multi_zone_meter_come_together():
    assert code_of(rules.ReadingInput("2", "10", "day")) == ("reading.zones_incomplete", "readings[0].zone")
    assert code_of(rules.ReadingInput("2", "10")) == ("reading.invalid_zone", "readings[0].zone")
    ack = submit(rules.ReadingInput("2", "10", "day"), rules.ReadingInput("2", "4", "night"))
    assert [r.zone for r in ack.readings] == ["day", "night"]


@pytest.mark.parametrize(("meter", "code"), [
    (Meter(1, "100234567", "cold_water", "A1", 1, "m3", 5, 3, status="broken"), "meter.broken"),
    (Meter(1, "100234567", "cold_water", "A1", 1, "m3", 5, 3, status="archived"), "meter.archived"),
    (Meter(1, "100234567", "cold_water", "A1", 1, "m3", 5, 3, verification_due=dt.date(2026, 11, 23)),
     "meter.verification_expired"),
    (Meter(1, "100999999", "cold_water", "A1", 1, "m3", 5, 3), "meter.not_found"),     # another account's meter
])
def test_a_meter_that_cannot_take_readings_refuses_with_the_reason(meter, code):
    assert code_of(rules.ReadingInput("1", "1"), meters=(meter,)) == (code, "readings[0].meter_id")


def test_verification_is_valid_through_its_due_date_in_the_regions_zone():
    meter = Meter(1, "100234567", "cold_water", "A1", 1, "m3", 5, 3, verification_due=dt.date(2026, 11, 24))
    assert submit(rules.ReadingInput("1", "1"), meters=(meter,), now=local(2026, 11, 24, 23, 59, 59)).readings
    assert code_of(rules.ReadingInput("1", "1"), meters=(meter,), now=local(2026, 11, 25, 0, 0, 0))[0] == \
        "meter.verification_expired"


@pytest.mark.parametrize(("account", "readings", "code"), [
    ("12", [rules.ReadingInput("1", "1")], "account.invalid"),
    ("100234567", [], "reading.empty"),
    ("100234567", [rules.ReadingInput("1", "-5")], "reading.invalid_value"),
    ("100234567", [rules.ReadingInput("1", "abc")], "reading.invalid_value"),
    ("100234567", [rules.ReadingInput("1", "NaN")], "reading.invalid_value"),
    ("100234567", [rules.ReadingInput("1", "1"), rules.ReadingInput("1", "2")], "reading.duplicate"),
    ("100234567", [rules.ReadingInput("x", "1")], "meter.not_found"),
])
def test_a_bad_request_is_refused_before_any_storage(account, readings, code):
    with pytest.raises(DomainError) as error:
        rules.validate_submission(rules.Submission(account, tuple(readings)))
    assert error.value.code == code


def test_a_reading_is_placed_after_the_latest_stored_one_even_if_clocks_disagree():
    later = NOW + dt.timedelta(seconds=2)
    ack = submit(rules.ReadingInput("1", "1"), stored={(1, ""): rules.Stored(latest_at=later, has_current=True)})
    assert ack.accepted_at == later + dt.timedelta(microseconds=1)
    assert ack.readings[0].correction


@given(digits=st.integers(1, 8), data=st.data())
def test_consumption_across_a_roll_over_equals_the_true_difference(digits, data):
    decimals = data.draw(st.integers(0, 3))
    scale = Decimal(1).scaleb(-decimals)
    full = 10 ** digits
    limit = rules.plausible_limit("electricity", 1)
    start = data.draw(st.integers(0, full * 10 ** decimals - 1)) * scale
    true = data.draw(st.integers(0, int(min(limit, full - scale) * 10 ** decimals))) * scale
    shown = (start + true) % full
    used, rolled = rules.consumption(shown, start, digits, limit)
    assert used == true
    assert rolled == (start + true >= full)

"""Meter-reading rules without I/O."""
import datetime as dt
from decimal import Decimal

import pytest

from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period
from meters import domain

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def accept(inputs, previous=None, source="cabinet", account="100234567"):
    return domain.accept(account, inputs, source, NOW, "Asia/Barnaul", previous or {})


def test_values_keep_full_precision_and_accept_a_comma():
    [reading] = accept([domain.ReadingInput("M1", "128,579")], previous={("M1", ""): Decimal("123.456")})
    assert reading.value == Decimal("128.579")
    assert reading.consumption == Decimal("5.123")
    assert reading.period == Period(2026, 11)


def test_a_first_reading_has_no_consumption():
    [reading] = accept([domain.ReadingInput("M1", "10")])
    assert reading.consumption is None


def test_all_readings_of_one_call_share_a_submission():
    readings = accept([domain.ReadingInput("M1", "1"), domain.ReadingInput("M2", "2", zone="day")])
    assert len({r.submission_id for r in readings}) == 1
    assert len({r.reading_id for r in readings}) == 2


@pytest.mark.parametrize(
    ("inputs", "code", "field"),
    [
        ([domain.ReadingInput("M1", "abc")], "reading.invalid_value", "readings[0].value"),
        ([domain.ReadingInput("M1", "-1")], "reading.invalid_value", "readings[0].value"),
        ([domain.ReadingInput("M1", "NaN")], "reading.invalid_value", "readings[0].value"),
        ([domain.ReadingInput("M1", "1e20")], "reading.invalid_value", "readings[0].value"),
        ([domain.ReadingInput("", "1")], "reading.meter_required", "readings[0].meter_id"),
        ([], "reading.empty", "readings"),
        ([domain.ReadingInput("M1", "1"), domain.ReadingInput("M1", "2")], "reading.duplicate_meter", "readings"),
        ([domain.ReadingInput(f"M{i}", "1") for i in range(51)], "reading.too_many", "readings"),
    ],
)
def test_bad_submissions_are_refused_with_a_stable_code(inputs, code, field):
    with pytest.raises(DomainError) as caught:
        accept(inputs)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_an_unknown_source_and_a_missing_account_are_refused():
    with pytest.raises(DomainError, match="unknown source"):
        accept([domain.ReadingInput("M1", "1")], source="fax")
    with pytest.raises(DomainError) as caught:
        accept([domain.ReadingInput("M1", "1")], account="")
    assert caught.value.code == "reading.account_required"

"""Meter-reading rules: pure functions and dataclasses, no I/O."""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import uuid
from decimal import Decimal

from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period

SOURCES = ("cabinet", "mobile", "operator", "bank_registry", "company_import", "smart_meter")
MAX_READINGS_PER_CALL = 50
MAX_DIGITS = 12


@dataclasses.dataclass(frozen=True)
class ReadingInput:
    meter_id: str
    value: str
    zone: str = ""


@dataclasses.dataclass(frozen=True)
class AcceptedReading:
    reading_id: str
    submission_id: str
    account: str
    meter_id: str
    zone: str
    value: Decimal
    consumption: Decimal | None
    period: Period
    source: str
    submitted_at: dt.datetime


def parse_value(text: str, field: str) -> Decimal:
    """A reading value: a non-negative decimal with a point, at most 12 integer digits."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except (decimal.InvalidOperation, AttributeError):
        raise DomainError("reading.invalid_value", f"not a number: {text!r}", field) from None
    if not value.is_finite() or value < 0:
        raise DomainError("reading.invalid_value", f"a reading must be a non-negative number: {text!r}", field)
    if value.adjusted() >= MAX_DIGITS:
        raise DomainError("reading.invalid_value", f"too many digits: {text!r}", field)
    return value


def validate_submission(account: str, inputs: list[ReadingInput], source: str) -> list[Decimal]:
    """Check the request as a whole; return the parsed values in input order."""
    if not account:
        raise DomainError("reading.account_required", "account is required", "account")
    if source not in SOURCES:
        raise DomainError("reading.invalid_source", f"unknown source {source!r}", "source")
    if not inputs:
        raise DomainError("reading.empty", "no readings in the request", "readings")
    if len(inputs) > MAX_READINGS_PER_CALL:
        raise DomainError("reading.too_many", f"at most {MAX_READINGS_PER_CALL} readings per call", "readings")
    keys = [(r.meter_id, r.zone) for r in inputs]
    if len(set(keys)) != len(keys):
        raise DomainError("reading.duplicate_meter", "the same meter and zone twice in one call", "readings")
    values = []
    for index, reading in enumerate(inputs):
        if not reading.meter_id:
            raise DomainError("reading.meter_required", "meter_id is required", f"readings[{index}].meter_id")
        values.append(parse_value(reading.value, f"readings[{index}].value"))
    return values


def accept(
    account: str, inputs: list[ReadingInput], source: str, now: dt.datetime, tz: str,
    previous: dict[tuple[str, str], Decimal],
) -> list[AcceptedReading]:
    """Turn a valid submission into accepted readings counted for the current period."""
    values = validate_submission(account, inputs, source)
    submission_id = str(uuid.uuid4())
    period = Period.of(now, tz)
    accepted = []
    for reading, value in zip(inputs, values, strict=True):
        before = previous.get((reading.meter_id, reading.zone))
        accepted.append(
            AcceptedReading(
                reading_id=str(uuid.uuid4()), submission_id=submission_id, account=account,
                meter_id=reading.meter_id, zone=reading.zone, value=value,
                consumption=None if before is None else value - before,
                period=period, source=source, submitted_at=now,
            )
        )
    return accepted

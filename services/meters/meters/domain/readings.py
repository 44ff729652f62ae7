"""Readings: validation, the period, consumption across a roll-over, plausibility."""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import uuid
import zoneinfo
from decimal import Decimal

from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period
from meters.domain import registry, windows
from meters.domain.registry import Meter

SOURCES = ("cabinet", "mobile", "operator", "bank_registry", "company_import", "smart_meter")
MAX_READINGS_PER_CALL = 50
MAX_KEY_LENGTH = 200
# A consumption above this per month (per zone) asks the resident to confirm it. Chosen well above
# a large household (Altai electricity tariff ranges end at 6,000 kWh a month).
PLAUSIBLE_PER_MONTH = {
    "cold_water": Decimal(50), "hot_water": Decimal(30), "electricity": Decimal(6000),
    "gas": Decimal(1500), "heat": Decimal(15),
}


@dataclasses.dataclass(frozen=True)
class ReadingInput:
    meter_id: str
    value: str
    zone: str = ""
    confirmed: bool = False


@dataclasses.dataclass(frozen=True)
class Submission:
    account: str
    readings: tuple[ReadingInput, ...]
    source: str = "cabinet"
    idempotency_key: str = ""

    def request_hash(self) -> str:
        """What a replay with the same key must repeat exactly."""
        text = "\n".join([self.account, self.source] + [
            f"{r.meter_id}\t{r.zone}\t{r.value.strip()}\t{int(r.confirmed)}" for r in self.readings])
        return hashlib.sha256(text.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Planned:
    """A reading checked against its meter, with the period it counts for."""
    input: ReadingInput
    meter: Meter
    value: Decimal
    period: Period
    index: int


@dataclasses.dataclass(frozen=True)
class Stored:
    """What is stored for one meter and zone, seen from a planned reading's period."""
    baseline_value: Decimal | None = None     # the reading that counts in the latest earlier period
    baseline_period: Period | None = None
    has_current: bool = False                 # a reading of this period exists: this one corrects it
    latest_at: dt.datetime | None = None      # the latest reading of the meter and zone, any period
    period: Period | None = None              # a later period than planned: the latest stored reading's


@dataclasses.dataclass(frozen=True)
class AcceptedReading:
    reading_id: str
    submission_id: str
    account: str
    meter_id: int
    serial: str
    service: str
    zone: str
    value: Decimal
    previous_value: Decimal | None
    consumption: Decimal | None
    rolled_over: bool
    correction: bool
    period: Period
    source: str
    submitted_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Acknowledgement:
    submission_id: str
    account: str
    source: str
    accepted_at: dt.datetime
    readings: tuple[AcceptedReading, ...]
    replayed: bool = False


def parse_value(text: str, field: str) -> Decimal:
    """A reading value: a non-negative decimal, point or comma."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except (decimal.InvalidOperation, AttributeError):
        raise DomainError("reading.invalid_value", f"not a number: {text!r}", field) from None
    if not value.is_finite() or value < 0 or value.adjusted() >= registry.MAX_DIGITS:
        raise DomainError("reading.invalid_value", f"a reading is a non-negative number: {text!r}", field)
    return value


def validate_submission(submission: Submission) -> list[Decimal]:
    """Check the request as a whole, before any storage; return the parsed values in order."""
    registry.check_account(submission.account)
    if submission.source not in SOURCES:
        raise DomainError("reading.invalid_source", f"unknown source {submission.source!r}", "source")
    if len(submission.idempotency_key) > MAX_KEY_LENGTH:
        raise DomainError("reading.invalid_idempotency_key", f"at most {MAX_KEY_LENGTH} characters", "idempotency_key")
    if not submission.readings:
        raise DomainError("reading.empty", "no readings in the request", "readings")
    if len(submission.readings) > MAX_READINGS_PER_CALL:
        raise DomainError("reading.too_many", f"at most {MAX_READINGS_PER_CALL} readings per call", "readings")
    values, seen = [], set()
    for index, reading in enumerate(submission.readings):
        if not is_meter_id(reading.meter_id):
            raise DomainError("meter.not_found", f"no meter {reading.meter_id!r} on this account", f"readings[{index}].meter_id")
        if (reading.meter_id, reading.zone) in seen:
            raise DomainError("reading.duplicate", "the same meter and zone twice in one call", f"readings[{index}]")
        seen.add((reading.meter_id, reading.zone))
        values.append(parse_value(reading.value, f"readings[{index}].value"))
    return values


def is_meter_id(text: str) -> bool:
    """A meter id on the wire: ASCII digits that fit the registry's bigint ("²" is a digit to
    str.isdigit but no number; 20 digits overflow the database's bigint)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def meter_ids(submission: Submission) -> list[int]:
    return sorted({int(r.meter_id) for r in submission.readings})


def plan(submission: Submission, values: list[Decimal], meters: dict[int, Meter], window_of: dict[int, windows.Window],
         now: dt.datetime, tz: str) -> list[Planned]:
    """Check each reading against its meter (status, zones, digits, decimals) and choose its period."""
    today = now.astimezone(zoneinfo.ZoneInfo(tz)).date()
    planned = []
    for index, (reading, value) in enumerate(zip(submission.readings, values, strict=True)):
        field = f"readings[{index}]"
        meter = meters.get(int(reading.meter_id))
        if meter is None or meter.account != submission.account:
            raise DomainError("meter.not_found", f"no meter {reading.meter_id} on this account", f"{field}.meter_id")
        refused = registry.refusal(meter, today)
        if refused:
            raise DomainError(*refused, f"{field}.meter_id")
        if reading.zone not in registry.ZONES[meter.zones]:
            zones = ", ".join(repr(z) for z in registry.ZONES[meter.zones])
            raise DomainError("reading.invalid_zone", f"the meter's zones are {zones}", f"{field}.zone")
        if -value.as_tuple().exponent > meter.decimals and value != value.quantize(_unit(meter.decimals), decimal.ROUND_DOWN):
            raise DomainError("reading.too_many_decimals", f"the meter shows {meter.decimals} decimals", f"{field}.value")
        if value >= 10 ** meter.digits:
            raise DomainError("reading.too_many_digits", f"the meter shows {meter.digits} digits", f"{field}.value")
        period = windows.period_for(window_of[meter.id], now, tz)
        planned.append(Planned(reading, meter, value.quantize(_unit(meter.decimals)), period, index))
    by_meter: dict[int, set[str]] = {}
    for p in planned:
        by_meter.setdefault(p.meter.id, set()).add(p.input.zone)
    for p in planned:
        if by_meter[p.meter.id] != set(registry.ZONES[p.meter.zones]):
            raise DomainError("reading.zones_incomplete", "every zone of a multi-zone meter is submitted together",
                              f"readings[{p.index}].zone")
    return planned


def consumption(value: Decimal, previous: Decimal, digits: int, limit: Decimal) -> tuple[Decimal, bool]:
    """(consumption, rolled_over) from the previous reading; a value below it is a roll-over of the
    dial only when the consumption through its maximum stays within `limit`."""
    if value >= previous:
        return value - previous, False
    rolled = value + 10 ** digits - previous
    if rolled <= limit:
        return rolled, True
    raise DomainError("reading.below_previous", f"the reading is below the previous one ({previous})", "")


def plausible_limit(service: str, months: int) -> Decimal:
    return PLAUSIBLE_PER_MONTH[service] * max(1, months)


def months_between(earlier: Period, later: Period) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def accept(submission: Submission, planned: list[Planned], stored: dict[tuple[int, str], Stored],
           now: dt.datetime) -> Acknowledgement:
    """Readings accepted at `now`: consumption from the previous period's reading, roll-over,
    plausibility. The time is moved just past the latest stored reading of these meters, so
    readings of a meter stay in order even if servers' clocks disagree."""
    latest = [s.latest_at for s in stored.values() if s.latest_at is not None]
    at = max([now] + [t + dt.timedelta(microseconds=1) for t in latest])
    submission_id = str(uuid.uuid4())
    accepted = []
    for p in planned:
        known = stored.get((p.meter.id, p.input.zone), Stored())
        period = max(p.period, known.period or p.period)     # never back before a stored reading's period
        used, rolled = None, False
        field = f"readings[{p.index}].value"
        if known.baseline_value is not None:
            months = months_between(known.baseline_period, period)
            limit = plausible_limit(p.meter.service, months)
            try:
                used, rolled = consumption(p.value, known.baseline_value, p.meter.digits, limit)
            except DomainError as error:
                raise DomainError(error.code, error.message, field) from None
            if used > limit and not p.input.confirmed:
                raise DomainError("reading.confirmation_required",
                                  f"consumption {used} {p.meter.unit} is unusually high; confirm it", field)
        accepted.append(AcceptedReading(
            reading_id=str(uuid.uuid4()), submission_id=submission_id, account=submission.account, meter_id=p.meter.id,
            serial=p.meter.serial, service=p.meter.service, zone=p.input.zone, value=p.value,
            previous_value=known.baseline_value, consumption=used, rolled_over=rolled, correction=known.has_current,
            period=period, source=submission.source, submitted_at=at,
        ))
    return Acknowledgement(submission_id, submission.account, submission.source, at, tuple(accepted))


def _unit(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)

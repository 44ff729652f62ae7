"""Small conversions shared by the meters API modules."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gorod_runtime.errors import DomainError, NotFound
from gorod_runtime.period import Period
from meters.domain.readings import is_meter_id
from meters.domain.registry import Meter


def text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def date_text(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def set_period(message, period: Period) -> None:
    message.year, message.month = period.year, period.month


def period_from(message, field: str, required: bool = True) -> Period | None:
    if not message.year and not message.month:
        if required:
            raise DomainError("request.period_required", "a period is required", field)
        return None
    try:
        return Period(message.year, message.month)
    except ValueError:
        raise DomainError("request.invalid_period", f"not a period: {message.year}-{message.month}", field) from None


def meter_id(text_id: str, field: str = "meter_id", error: type[DomainError] = NotFound) -> int:
    """A meter id from the wire; one that is not an id is an unknown meter (NOT_FOUND, like a number
    that names none)."""
    if not is_meter_id(text_id):
        raise error("meter.not_found", f"no meter {text_id!r}", field)
    return int(text_id)


def fill_meter(message, meter: Meter) -> None:
    message.meter_id = str(meter.id)
    message.account, message.service, message.serial = meter.account, meter.service, meter.serial
    message.zones, message.placement, message.unit = meter.zones, meter.placement, meter.unit
    message.digits, message.decimals, message.supplier_inn = meter.digits, meter.decimals, meter.supplier_inn
    message.installed_on, message.sealed_on = date_text(meter.installed_on), date_text(meter.sealed_on)
    message.verification_due, message.status = date_text(meter.verification_due), meter.status

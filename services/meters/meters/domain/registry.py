"""The meter registry: services, units, zones, statuses, and whether a meter takes readings."""
from __future__ import annotations

import dataclasses
import datetime as dt

from gorod_runtime.accounts import RULE, is_account_number
from gorod_runtime.errors import DomainError

SERVICES = ("cold_water", "hot_water", "electricity", "gas", "heat")
UNITS = {"cold_water": ("m3",), "hot_water": ("m3",), "gas": ("m3",), "electricity": ("kWh",), "heat": ("Gcal",)}
STATUSES = ("active", "broken", "verification_expired", "archived")
# Zone names as accruals prices them: "" single-zone; day/night; peak/semi_peak/night.
MAX_DIGITS = 12
ZONES = {1: ("",), 2: ("day", "night"), 3: ("peak", "semi_peak", "night")}
VERIFICATION_REMINDER_DAYS = 30


@dataclasses.dataclass(frozen=True)
class Meter:
    id: int
    account: str
    service: str
    serial: str
    zones: int
    unit: str
    digits: int
    decimals: int
    supplier_inn: str = ""
    placement: str = ""
    installed_on: dt.date | None = None
    sealed_on: dt.date | None = None
    verification_due: dt.date | None = None
    status: str = "active"


@dataclasses.dataclass(frozen=True)
class StatusChange:
    status: str
    reason: str
    source: str
    changed_at: dt.datetime


def check_account(account: str, field: str = "account") -> str:
    if not is_account_number(account):
        raise DomainError("account.invalid", f"an account number is {RULE}", field)
    return account


def refusal(meter: Meter, today: dt.date) -> tuple[str, str] | None:
    """Why the meter takes no reading today (code, English message), or None.

    The verification is valid through its due date; from the next day readings are refused
    whatever the stored status says (the daily job only catches the status up)."""
    if meter.status == "archived":
        return "meter.archived", "the meter is archived"
    if meter.status == "broken":
        return "meter.broken", "the meter is marked broken"
    if meter.status == "verification_expired" or (meter.verification_due is not None and meter.verification_due < today):
        return "meter.verification_expired", f"the meter's verification ended on {meter.verification_due}"
    return None


def validate_new_meter(meter: Meter) -> None:
    """A meter registered by an operator: the same rules as the registry's constraints."""
    check_account(meter.account, "meter.account")
    if meter.service not in SERVICES:
        raise DomainError("meter.invalid_service", f"service must be one of {', '.join(SERVICES)}", "meter.service")
    if not meter.serial.strip():
        raise DomainError("meter.serial_required", "a serial number is required", "meter.serial")
    if meter.zones not in ZONES or (meter.zones > 1 and meter.service != "electricity"):
        raise DomainError("meter.invalid_zones", "zones are 1, or 2 or 3 for electricity", "meter.zones")
    if meter.unit not in UNITS[meter.service]:
        raise DomainError("meter.invalid_unit", f"the unit of {meter.service} is {UNITS[meter.service][0]}", "meter.unit")
    if not 1 <= meter.digits <= 12:
        raise DomainError("meter.invalid_digits", "digits are 1 to 12", "meter.digits")
    if not 0 <= meter.decimals <= 3:
        raise DomainError("meter.invalid_decimals", "decimals are 0 to 3", "meter.decimals")
    if meter.status not in STATUSES:
        raise DomainError("meter.invalid_status", f"status must be one of {', '.join(STATUSES)}", "meter.status")


def check_status(status: str, field: str = "status") -> str:
    if status not in STATUSES:
        raise DomainError("meter.invalid_status", f"status must be one of {', '.join(STATUSES)}", field)
    return status


def parse_date(text: str, field: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError("request.invalid_date", f"not a date (YYYY-MM-DD): {text!r}", field) from None

"""Registry changes by operators, submission windows, the daily verification check."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from gorod_runtime.errors import Conflict, NotFound
from gorod_runtime.uow import UnitOfWork
from meters.domain import registry as domain
from meters.domain import windows as windows_domain
from meters.storage import registry as storage


def register_meter(uow: UnitOfWork, meter: domain.Meter, operator: str) -> domain.Meter:
    domain.validate_new_meter(meter)
    with uow:
        added = storage.add_meter(uow.connection, meter, source=operator or "operator")
        if added is None:
            raise Conflict("meter.exists", "this account already has a meter of this service with this serial", "meter.serial")
        uow.commit()
        return added


def change_status(uow: UnitOfWork, meter_id: int, status: str, reason: str, operator: str,
                  verification_due: dt.date | None) -> tuple[domain.Meter, list[domain.StatusChange]]:
    domain.check_status(status)
    with uow:
        meter = storage.get_meter(uow.connection, meter_id, lock=True)
        if meter is None:
            raise NotFound("meter.not_found", f"no meter {meter_id}", "meter_id")
        storage.change_status(uow.connection, meter_id, status, reason, operator or "operator", verification_due)
        meter, history = storage.get_meter(uow.connection, meter_id), storage.status_history(uow.connection, meter_id)
        uow.commit()
        return meter, history


def set_window(uow: UnitOfWork, window: windows_domain.Window, operator: str, remove: bool) -> None:
    with uow:
        if remove:
            storage.remove_window(uow.connection, window.supplier_inn, window.service)
        else:
            storage.set_window(uow.connection, windows_domain.validate(window), operator)
        uow.commit()


def list_windows(uow: UnitOfWork) -> list[windows_domain.Window]:
    with uow:
        return list(storage.windows(uow.connection).values())


def expire_verifications(uow: UnitOfWork, tz: str, now: dt.datetime | None = None) -> int:
    """Catch statuses up with the verification dates (readings are refused by date anyway)."""
    today = (now or dt.datetime.now(dt.UTC)).astimezone(zoneinfo.ZoneInfo(tz)).date()
    total = 0
    while True:
        with uow:
            changed = storage.expire_verifications(uow.connection, today)
            uow.commit()
        total += changed
        if changed < 10000:
            return total

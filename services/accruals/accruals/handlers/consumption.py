"""Accruals use cases."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accruals.domain import consumption as domain
from accruals.storage import consumption as storage
from gorod.events.v1 import meters_pb2 as meter_events
from gorod_runtime.uow import UnitOfWork


def record_reading(uow: UnitOfWork, event: meter_events.ReadingSubmitted) -> None:
    """Project a submitted reading into the consumption table (once per event: the inbox)."""
    record = domain.ConsumptionRecord(
        account=event.account, meter_id=event.meter_id, zone=event.zone,
        period=domain.Period(event.period.year, event.period.month), service=event.service,
        value=Decimal(event.value), consumption=Decimal(event.consumption) if event.consumption else None,
        reading_id=event.reading_id, submitted_at=event.submitted_at.ToDatetime(tzinfo=dt.UTC),
    )
    with uow:
        storage.record_consumption(uow.connection, record)
        uow.commit()


def consumption_of(uow: UnitOfWork, accounts: list[str]) -> list[domain.ConsumptionRecord]:
    with uow:
        return storage.consumption_of(uow.connection, accounts)

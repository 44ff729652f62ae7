"""Meters use cases: the only place that combines rules and storage."""
from __future__ import annotations

import datetime as dt

from gorod.events.v1 import meters_pb2 as events_pb2
from gorod_runtime.uow import UnitOfWork
from meters import domain, storage

READING_SUBMITTED = "meters.reading-submitted.v1"


def submit_readings(
    uow: UnitOfWork, account: str, inputs: list[domain.ReadingInput], source: str, tz: str,
    now: dt.datetime | None = None,
) -> list[domain.AcceptedReading]:
    """Store the readings and their events in one transaction."""
    now = now or dt.datetime.now(dt.UTC)
    domain.validate_submission(account, inputs, source)
    with uow:
        previous = storage.previous_values(uow.connection, [(r.meter_id, r.zone) for r in inputs])
        accepted = domain.accept(account, inputs, source, now, tz, previous)
        storage.add_readings(uow.connection, accepted)
        for reading in accepted:
            uow.publish(READING_SUBMITTED, account, reading_submitted_event(reading), event_id=reading.reading_id)
        uow.commit()
    return accepted


def reading_submitted_event(reading: domain.AcceptedReading) -> events_pb2.ReadingSubmitted:
    event = events_pb2.ReadingSubmitted(
        reading_id=reading.reading_id, account=reading.account, meter_id=reading.meter_id,
        zone=reading.zone, value=str(reading.value),
        consumption="" if reading.consumption is None else str(reading.consumption),
        source=reading.source,
    )
    event.period.year, event.period.month = reading.period.year, reading.period.month
    event.submitted_at.FromDatetime(reading.submitted_at)
    return event

"""Submitting readings: one transaction per call, events through the outbox."""
from __future__ import annotations

import datetime as dt

from gorod.events.v1 import meters_pb2 as events_pb2
from gorod_runtime.errors import Conflict, DomainError
from gorod_runtime.uow import UnitOfWork
from meters.domain import readings as domain
from meters.settings import MetersSettings
from meters.storage import readings as storage

READING_SUBMITTED = "meters.reading-submitted.v1"


def submit_readings(uow: UnitOfWork, settings: MetersSettings, submission: domain.Submission,
                    now: dt.datetime | None = None) -> domain.Acknowledgement:
    """Accept every reading of the call or none; a replayed idempotency key returns the first answer.

    Round trips: lock the meters with their windows, what is stored, the submission with its
    readings, the outbox rows, commit. A replay (rare) is found when its insert conflicts."""
    values = domain.validate_submission(submission)
    request_hash = submission.request_hash()
    key = submission.idempotency_key
    try:
        ack = _accept(uow, settings, submission, values, request_hash, now)
    except DomainError:
        # A retry after the state changed (the window closed, the meter was marked broken) still
        # gets its first answer.
        if key and (replay := _find(uow, submission, key, request_hash)):
            return replay
        raise
    return ack or _find(uow, submission, key, request_hash)


def _accept(uow: UnitOfWork, settings: MetersSettings, submission: domain.Submission, values, request_hash: str,
            now: dt.datetime | None) -> domain.Acknowledgement | None:
    """The new acknowledgement, or None when a call with the same key committed first."""
    with uow:
        meters, window_of = storage.lock_meters(uow.connection, submission.account, domain.meter_ids(submission),
                                                settings.default_window)
        at = now or dt.datetime.now(dt.UTC)   # taken once the meters are locked: the later call gets the later time
        planned = domain.plan(submission, values, meters, window_of, at, settings.tz)
        ack = domain.accept(submission, planned, storage.stored(uow.connection, planned), at)
        ack = domain.Acknowledgement(ack.submission_id, ack.account, ack.source, ack.accepted_at,
                                     tuple(sorted(ack.readings, key=lambda r: (r.meter_id, r.zone))))
        if not storage.add_submission(uow.connection, ack, submission.idempotency_key, request_hash):
            return None
        for reading in ack.readings:
            uow.publish(READING_SUBMITTED, reading.account, reading_submitted_event(reading), event_id=reading.reading_id)
        uow.commit()
        return ack


def _find(uow: UnitOfWork, submission: domain.Submission, key: str, request_hash: str) -> domain.Acknowledgement | None:
    with uow:
        return _replay(uow, submission, key, request_hash)


def _replay(uow: UnitOfWork, submission: domain.Submission, key: str, request_hash: str) -> domain.Acknowledgement | None:
    found = storage.find_submission(uow.connection, submission.account, key)
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise Conflict("submission.key_reused", "this idempotency key was used for different readings", "idempotency_key")
    return storage.acknowledgement(uow.connection, found)


def reading_submitted_event(reading: domain.AcceptedReading) -> events_pb2.ReadingSubmitted:
    event = events_pb2.ReadingSubmitted(
        reading_id=reading.reading_id, account=reading.account, meter_id=str(reading.meter_id), service=reading.service,
        zone=reading.zone, value=str(reading.value),
        consumption="" if reading.consumption is None else str(reading.consumption), source=reading.source,
    )
    event.period.year, event.period.month = reading.period.year, reading.period.month
    event.submitted_at.FromDatetime(reading.submitted_at)
    return event

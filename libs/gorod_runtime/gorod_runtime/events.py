"""The event envelope: building one for the outbox and reading one from a Kafka record."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from google.protobuf import any_pb2, message, symbol_database

from gorod.events.v1 import envelope_pb2

# Importing the payload modules registers their types for Any unpacking.
from gorod.events.v1 import meters_pb2 as _meters_events  # noqa: F401
from gorod.events.v1 import payments_pb2 as _payments_events  # noqa: F401


class BadEnvelope(ValueError):
    """The record is not a Gorod envelope, or its payload type is unknown: it can never succeed."""


@dataclasses.dataclass(frozen=True)
class Event:
    """A decoded envelope with its typed payload, as handed to consumer handlers."""

    event_id: str
    event_type: str
    occurred_at: dt.datetime
    producer: str
    account: str
    correlation_id: str
    payload: message.Message


def build_envelope(
    event_type: str, producer: str, account: str, payload: message.Message,
    correlation_id: str = "", event_id: str | None = None, occurred_at: dt.datetime | None = None,
) -> envelope_pb2.Envelope:
    envelope = envelope_pb2.Envelope(
        event_id=event_id or str(uuid.uuid4()),
        event_type=event_type,
        producer=producer,
        account=account,
        correlation_id=correlation_id,
    )
    envelope.occurred_at.FromDatetime(occurred_at or dt.datetime.now(dt.UTC))
    packed = any_pb2.Any()
    packed.Pack(payload, type_url_prefix="type.gorod.ru/")
    envelope.payload.CopyFrom(packed)
    return envelope


def parse_envelope(data: bytes) -> Event:
    """Decode a record value; raise BadEnvelope when it cannot be understood."""
    try:
        envelope = envelope_pb2.Envelope.FromString(data)
    except message.DecodeError as exc:
        raise BadEnvelope(f"not an envelope: {exc}") from None
    if not envelope.event_id or not envelope.event_type:
        raise BadEnvelope("envelope without event_id or event_type")
    try:
        uuid.UUID(envelope.event_id)
    except ValueError:
        raise BadEnvelope(f"event_id is not a UUID: {envelope.event_id!r}") from None
    type_name = envelope.payload.TypeName()
    try:
        payload_cls = symbol_database.Default().GetSymbol(type_name)
    except KeyError:
        raise BadEnvelope(f"unknown payload type {type_name!r}") from None
    payload = payload_cls()
    if not envelope.payload.Unpack(payload):
        raise BadEnvelope(f"payload does not unpack as {type_name}")
    return Event(
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        occurred_at=envelope.occurred_at.ToDatetime(tzinfo=dt.UTC),
        producer=envelope.producer,
        account=envelope.account,
        correlation_id=envelope.correlation_id,
        payload=payload,
    )

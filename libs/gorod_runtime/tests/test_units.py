"""Unit tests of the kit's pure parts: settings, periods, envelopes."""
import datetime as dt
import uuid

import pytest

from gorod.events.v1 import meters_pb2, payments_pb2
from gorod_runtime import events, settings
from gorod_runtime.period import Period


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:5432/", "postgresql://postgres@127.0.0.1:5432/gorod_meters"),
        ("postgresql://u:p@db:5432/postgres", "postgresql://u:p@db:5432/gorod_meters"),
        ("postgresql://postgres:@/postgres?host=/tmp/pg", "postgresql://postgres:@/gorod_meters?host=/tmp/pg"),
    ],
)
def test_database_url_for_keeps_host_and_query(server, expected):
    assert settings.database_url_for(server, "gorod_meters") == expected


def test_service_database_url_prefers_its_own(monkeypatch):
    monkeypatch.setenv("GOROD_DATABASE_URL", "postgresql://a@server:5432/")
    assert settings.load("meters").db_url == "postgresql://a@server:5432/gorod_meters"
    monkeypatch.setenv("GOROD_DB_URL", "postgresql://b@own:5432/meters_prod")
    assert settings.load("meters").db_url == "postgresql://b@own:5432/meters_prod"


def test_defaults_are_per_service():
    assert settings.load("accruals").grpc_port == 50052
    assert settings.load("meters").tz == "Asia/Barnaul"


def test_period_of_an_instant_is_taken_in_the_region_zone():
    # 31 Oct 2026 20:00 UTC is already 1 Nov 03:00 in Barnaul (UTC+7).
    instant = dt.datetime(2026, 10, 31, 20, 0, tzinfo=dt.UTC)
    assert Period.of(instant, "Asia/Barnaul") == Period(2026, 11)
    assert Period.of(instant, "Europe/Moscow") == Period(2026, 10)


def test_period_parse_next_and_text():
    assert Period.parse("2026-12").next() == Period(2027, 1)
    assert str(Period(2026, 2)) == "2026-02"
    assert Period(2026, 2).first_day == dt.date(2026, 2, 1)
    for bad in ("2026-13", "2026-1", "26-01", ""):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_envelope_round_trip_keeps_every_field():
    payload = payments_pb2.PaymentPosted(payment_id="p1", account="100", amount_kopecks=345678)
    occurred = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    envelope = events.build_envelope("payments.payment-posted.v1", "payments", "100", payload,
                                     correlation_id="req-1", occurred_at=occurred)
    event = events.parse_envelope(envelope.SerializeToString())
    assert uuid.UUID(event.event_id)
    assert (event.event_type, event.producer, event.account, event.correlation_id) == (
        "payments.payment-posted.v1", "payments", "100", "req-1")
    assert event.occurred_at == occurred
    assert event.payload == payload


@pytest.mark.parametrize("data", [b"\xff\xfe garbage", b""])
def test_garbage_is_a_bad_envelope(data):
    with pytest.raises(events.BadEnvelope):
        events.parse_envelope(data)


def test_an_envelope_with_an_unknown_payload_type_is_bad():
    envelope = events.build_envelope("x.v1", "t", "1", meters_pb2.ReadingSubmitted())
    envelope.payload.type_url = "type.gorod.ru/gorod.events.v1.NoSuchEvent"
    with pytest.raises(events.BadEnvelope, match="unknown payload type"):
        events.parse_envelope(envelope.SerializeToString())

"""One real flow across the suite: a reading submitted to meters reaches accruals once."""
from __future__ import annotations

import json
import uuid

import grpc
import sqlalchemy as sa
from kafka import KafkaProducer

from gorod.accruals.v1 import accruals_pb2, accruals_pb2_grpc
from gorod.meters.v1 import meters_pb2, meters_pb2_grpc
from gorod_runtime import db
from gorod_runtime.testing import wait_until

from .conftest import http_get


def register(suite, account, serial, service="cold_water"):
    """The meter's id in the registry (meters refuses readings of unknown meters)."""
    meter = meters_pb2.Meter(account=account, service=service, serial=serial, unit="m3", digits=5, decimals=3)
    with grpc.insecure_channel(suite.services["meters"].address) as channel:
        return meters_pb2_grpc.MetersServiceStub(channel).RegisterMeter(
            meters_pb2.RegisterMeterRequest(meter=meter), timeout=5).meter_id


def submit(suite, account, *readings, correlation_id=""):
    with grpc.insecure_channel(suite.services["meters"].address) as channel:
        return meters_pb2_grpc.MetersServiceStub(channel).SubmitReadings(
            meters_pb2.SubmitReadingsRequest(
                account=account, source="cabinet",
                readings=[meters_pb2.ReadingInput(meter_id=m, value=v) for m, v in readings],
            ),
            timeout=5, metadata=(("x-correlation-id", correlation_id),) if correlation_id else None,
        )


def consumption(suite, account):
    with grpc.insecure_channel(suite.services["accruals"].address) as channel:
        return list(accruals_pb2_grpc.AccrualsServiceStub(channel).GetConsumption(
            accruals_pb2.GetConsumptionRequest(accounts=[account]), timeout=5).records)


def scalar(url, sql, **params):
    engine = db.make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def test_every_service_is_ready_behind_the_gateway(suite):
    status, body = http_get(f"{suite.gateway_url}/readyz")
    assert status == 200
    assert json.loads(body)["upstreams"] == {name: "SERVING" for name in suite.services}


def test_a_submitted_reading_is_recorded_in_accruals_once(suite):
    account = f"1{uuid.uuid4().int % 10**8:08d}"
    cold, hot = register(suite, account, "cold-1"), register(suite, account, "hot-1", "hot_water")
    submit(suite, account, (cold, "123.456"))
    response = submit(suite, account, (cold, "128.579"), (hot, "40"), correlation_id="flow-test-1")
    reading_ids = {r.meter_id: r.reading_id for r in response.readings}

    records = wait_until(
        lambda: (r := consumption(suite, account)) and {x.reading_id for x in r} == set(reading_ids.values()) and r,
        message="both readings in accruals", timeout=60,
    )
    by_meter = {r.meter_id: r for r in records}
    assert by_meter[cold].value == "128.579"
    assert by_meter[cold].consumption == ""  # a correction in the same period: nothing earlier to compare with
    assert by_meter[hot].consumption == ""  # a first reading has nothing to compare with
    assert by_meter[cold].period.year >= 2026

    accruals_db = suite.databases["accruals"]
    for reading_id in reading_ids.values():
        assert scalar(accruals_db, "SELECT count(*) FROM inbox WHERE event_id = :e", e=reading_id) == 1
    # The request's correlation id travelled with the event.
    envelope = scalar(suite.databases["meters"], "SELECT envelope FROM outbox WHERE event_id = :e",
                      e=reading_ids[cold])
    from gorod_runtime.events import parse_envelope

    assert parse_envelope(envelope).correlation_id == "flow-test-1"


def test_a_replayed_event_changes_nothing(suite, kafka_bootstrap):
    account = f"2{uuid.uuid4().int % 10**8:08d}"
    cold, cold2 = register(suite, account, "cold-1"), register(suite, account, "cold-2")
    response = submit(suite, account, (cold, "10"))
    reading_id = response.readings[0].reading_id
    wait_until(lambda: consumption(suite, account), timeout=60, message="the reading in accruals")
    envelope = scalar(suite.databases["meters"], "SELECT envelope FROM outbox WHERE event_id = :e", e=reading_id)

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    producer.send("meters.reading-submitted.v1", key=account.encode(), value=bytes(envelope))
    producer.flush()
    producer.close()
    marker = submit(suite, account, (cold2, "1"))  # same key, so handled after the replay
    wait_until(lambda: len(consumption(suite, account)) == 2, timeout=60, message="the marker reading")
    accruals_db = suite.databases["accruals"]
    assert scalar(accruals_db, "SELECT count(*) FROM inbox WHERE event_id = :e", e=reading_id) == 1
    assert scalar(accruals_db, "SELECT count(*) FROM consumption WHERE account = :a", a=account) == 2
    assert marker.readings[0].reading_id

"""SubmitReadings against a real meters process over gRPC, its database and the outbox."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import zoneinfo

import grpc
import pytest
import sqlalchemy as sa

from gorod.events.v1 import meters_pb2 as events_pb2
from gorod.meters.v1 import meters_pb2
from gorod_runtime import db
from gorod_runtime.events import parse_envelope
from gorod_runtime.period import Period
from meters.domain import windows

TZ = "Asia/Barnaul"


@pytest.fixture(scope="module")
def engine(meters_db):
    engine = db.make_engine(meters_db, pool_size=1)
    yield engine
    engine.dispose()


def rows(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def expected_period():
    return windows.period_for(windows.Window(), dt.datetime.now(dt.UTC), TZ)


def test_an_acknowledgement_carries_id_time_values_and_period(stub, account, engine, helpers):
    cold = helpers.register(stub, account, "cold_water")
    power = helpers.register(stub, account, "electricity", zones=2, digits=6, decimals=0)
    ack = helpers.submit(stub, account, (cold, "12,5"), (power, "1500", "day"), (power, "700", "night"), source="mobile")
    assert ack.submission_id and ack.accepted_at.seconds and ack.account == account and not ack.replayed
    assert [(r.meter_id, r.zone, r.value, r.consumption) for r in ack.readings] == [
        (cold, "", "12.500", ""), (power, "day", "1500", ""), (power, "night", "700", "")]
    period = expected_period()
    assert {(r.period.year, r.period.month) for r in ack.readings} == {(period.year, period.month)}

    [(payload, key)] = rows(engine, "SELECT envelope, key FROM outbox WHERE event_id = :e", e=ack.readings[0].reading_id)
    event = parse_envelope(bytes(payload))
    assert key == account and event.event_type == "meters.reading-submitted.v1"
    assert isinstance(event.payload, events_pb2.ReadingSubmitted)
    assert (event.payload.service, event.payload.meter_id, event.payload.value, event.payload.source) == (
        "cold_water", cold, "12.500", "mobile")


def test_a_correction_keeps_history_and_the_latest_counts(stub, account, engine, helpers):
    meter = helpers.register(stub, account)
    helpers.submit(stub, account, (meter, "10"))
    first = helpers.submit(stub, account, (meter, "20")).readings[0]
    second = helpers.submit(stub, account, (meter, "18")).readings[0]   # lower than the first: a correction, not a roll-over
    assert first.correction and second.correction and second.consumption == ""
    history = stub.GetHistory(meters_pb2.GetHistoryRequest(meter_id=meter, account=account), timeout=5)
    assert [(r.value, r.counts) for r in history.readings] == [("10.000", False), ("20.000", False), ("18.000", True)]
    assert [(c.value, c.consumption) for c in history.consumption] == [("18.000", "")]


def test_a_replayed_key_gives_the_same_answer_one_reading_one_event(stub, account, engine, helpers):
    meter = helpers.register(stub, account)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: helpers.submit(stub, account, (meter, "5"), key="key-1"), range(4)))
    answers.append(helpers.submit(stub, account, (meter, "5"), key="key-1"))
    first = [a for a in answers if not a.replayed]
    assert len(first) == 1
    for answer in answers:
        answer.replayed = False
        assert answer == first[0]
    assert rows(engine, "SELECT count(*) FROM readings WHERE meter_id = :m", m=int(meter))[0][0] == 1
    assert rows(engine, "SELECT count(*) FROM outbox WHERE key = :a", a=account)[0][0] == 1
    # A retry after the meter was marked broken still gets its first answer.
    stub.ChangeMeterStatus(meters_pb2.ChangeMeterStatusRequest(meter_id=meter, status="broken"), timeout=5)
    late = helpers.submit(stub, account, (meter, "5"), key="key-1")
    assert late.replayed and late.submission_id == first[0].submission_id
    with pytest.raises(grpc.RpcError) as error:
        helpers.submit(stub, account, (meter, "6"), key="key-1")
    assert helpers.error_code(error.value) == (grpc.StatusCode.FAILED_PRECONDITION, "submission.key_reused", "idempotency_key")


def test_two_concurrent_submissions_for_one_meter_are_both_kept_in_order(stub, account, engine, helpers):
    meter = helpers.register(stub, account)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        a, b = pool.map(lambda v: helpers.submit(stub, account, (meter, v)), ["100", "200"])
    stored = rows(engine, "SELECT id, value, submitted_at FROM readings WHERE meter_id = :m ORDER BY submitted_at",
                  m=int(meter))
    assert len(stored) == 2 and stored[0].submitted_at < stored[1].submitted_at
    events = rows(engine, "SELECT event_id FROM outbox WHERE key = :a ORDER BY id", a=account)
    assert [str(e.event_id) for e in events] == [str(s.id) for s in stored]       # events leave in the same order
    history = stub.GetHistory(meters_pb2.GetHistoryRequest(meter_id=meter), timeout=5)
    assert [r.counts for r in history.readings] == [False, True]
    assert history.readings[-1].reading_id == str(stored[1].id)


def test_a_bad_call_writes_nothing(stub, account, engine, helpers):
    good = helpers.register(stub, account)
    broken = helpers.register(stub, account, "hot_water")
    stub.ChangeMeterStatus(meters_pb2.ChangeMeterStatusRequest(meter_id=broken, status="broken", reason="seal"), timeout=5)
    cases = [
        ([(good, "1"), (broken, "1")], ("meter.broken", "readings[1].meter_id")),
        ([(good, "1.2345")], ("reading.too_many_decimals", "readings[0].value")),
        ([(good, "1"), ("999999999", "1")], ("meter.not_found", "readings[1].meter_id")),
        ([(good, "-1")], ("reading.invalid_value", "readings[0].value")),
    ]
    for readings, expected in cases:
        with pytest.raises(grpc.RpcError) as error:
            helpers.submit(stub, account, *readings)
        assert helpers.error_code(error.value) == (grpc.StatusCode.INVALID_ARGUMENT, *expected)
    assert rows(engine, "SELECT count(*) FROM readings WHERE account = :a", a=account)[0][0] == 0
    assert rows(engine, "SELECT count(*) FROM outbox WHERE key = :a", a=account)[0][0] == 0


def test_a_supplier_window_refuses_outside_or_counts_for_the_next_period(stub, account, helpers):
    today = dt.datetime.now(dt.UTC).astimezone(zoneinfo.ZoneInfo(TZ))
    # A one-day window that is not today: 1st, or 2nd when today is the 1st.
    day = 2 if today.day == 1 else 1
    stub.SetSubmissionWindow(meters_pb2.SubmissionWindow(supplier_inn="2200000001", first_day=day, last_day=day,
                                                         outside="refuse"), timeout=5)
    stub.SetSubmissionWindow(meters_pb2.SubmissionWindow(supplier_inn="2200000002", service="gas", first_day=1,
                                                         last_day=28, outside="next"), timeout=5)
    refusing = helpers.register(stub, account, "cold_water", supplier_inn="2200000001")
    with pytest.raises(grpc.RpcError) as error:
        helpers.submit(stub, account, (refusing, "1"))
    assert helpers.error_code(error.value)[1] == "reading.outside_window"
    gas = helpers.register(stub, account, "gas", supplier_inn="2200000002")
    [reading] = helpers.submit(stub, account, (gas, "1")).readings
    this = Period(today.year, today.month)
    inside = today.day <= 28
    assert Period(reading.period.year, reading.period.month) == (this if inside else this.next())
    listed = stub.ListSubmissionWindows(meters_pb2.ListSubmissionWindowsRequest(), timeout=5)
    assert {w.supplier_inn for w in listed.windows} >= {"2200000001", "2200000002"}
    assert (listed.default_window.first_day, listed.default_window.last_day) == (23, 25)

"""Unit of work + outbox relay against a real PostgreSQL and a real broker."""
import threading
import uuid

import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer

from gorod.events.v1 import meters_pb2
from gorod.meters.v1 import meters_pb2 as meters_api
from gorod.meters.v1 import meters_pb2_grpc
from gorod_runtime import db, events, kafka, outbox
from gorod_runtime.settings import load_kafka
from gorod_runtime.testing import wait_until
from gorod_runtime.uow import AlreadyProcessed, UnitOfWork


@pytest.fixture
def engine(sample_db):
    engine = db.make_engine(sample_db, pool_size=4)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine):
    return lambda inbox=None: UnitOfWork(engine, "sample", inbox=inbox)


@pytest.fixture
def topic(kafka_bootstrap):
    name = f"sample.outbox-{uuid.uuid4().hex[:8]}.v1"
    kafka.ensure_topics(kafka_bootstrap, [name], partitions=4)
    return name


@pytest.fixture
def producer(kafka_bootstrap, monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    p = kafka.make_producer(load_kafka())
    yield p
    p.close()


def write_events(uow_factory, topic, accounts, per_account):
    for i in range(per_account):
        for account in accounts:
            with uow_factory() as uow:
                uow.publish(topic, account, meters_pb2.ReadingSubmitted(account=account, value=str(i)))
                uow.commit()


def read_topic(kafka_bootstrap, topic, expected, timeout_ms=15000):
    consumer = KafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
                             group_id=None, consumer_timeout_ms=timeout_ms)
    got = []
    for record in consumer:
        got.append(events.parse_envelope(record.value))
        if len(got) >= expected:
            break
    consumer.close()
    return got


def unpublished(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(db.outbox).where(db.outbox.c.published_at.is_(None))).scalar()


def test_commit_writes_state_and_outbox_together_and_rollback_neither(uow_factory, engine, topic):
    with uow_factory() as uow:
        uow.publish(topic, "1", meters_pb2.ReadingSubmitted(account="1"))
        uow.connection.execute(sa.text("INSERT INTO effects (event_id, account, value) VALUES ('e', '1', 'kept')"))
        uow.commit()
    with uow_factory() as uow:
        uow.publish(topic, "1", meters_pb2.ReadingSubmitted(account="1"))
        uow.connection.execute(sa.text("INSERT INTO effects (event_id, account, value) VALUES ('e', '1', 'lost')"))
        # no commit: leaving the block rolls back
    with pytest.raises(RuntimeError), uow_factory() as uow:
        uow.publish(topic, "1", meters_pb2.ReadingSubmitted(account="1"))
        uow.commit()
        uow.publish(topic, "1", meters_pb2.ReadingSubmitted(account="1"))
        raise RuntimeError("fails after the first commit")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM effects")).scalars().all() == ["kept"]
        assert conn.execute(sa.select(sa.func.count()).select_from(db.outbox)).scalar() == 2


def test_inbox_claim_makes_a_second_handling_a_no_op(uow_factory):
    event_id = str(uuid.uuid4())
    with uow_factory(inbox=("sample.group", event_id)) as uow:
        uow.commit()
    with pytest.raises(AlreadyProcessed), uow_factory(inbox=("sample.group", event_id)):
        pass
    # Another consumer group handles the same event independently.
    with uow_factory(inbox=("other.group", event_id)) as uow:
        uow.commit()


def test_relay_publishes_in_commit_order_and_marks_rows(uow_factory, engine, producer, topic, kafka_bootstrap):
    write_events(uow_factory, topic, ["A", "B", "C"], per_account=20)
    relay = outbox.OutboxRelay(engine, producer, batch_size=25)
    published = [relay.publish_batch() for _ in range(4)]
    assert published == [25, 25, 10, 0]
    assert unpublished(engine) == 0
    got = read_topic(kafka_bootstrap, topic, expected=60)
    for account in "ABC":
        assert [e.payload.value for e in got if e.account == account] == [str(i) for i in range(20)]


def test_a_failed_publish_leaves_rows_unpublished(uow_factory, engine, topic):
    class BrokerDown:
        def send(self, *args, **kwargs):
            raise RuntimeError("broker down")

        def flush(self):
            pass

    write_events(uow_factory, topic, ["A"], per_account=3)
    relay = outbox.OutboxRelay(engine, BrokerDown())
    # Rows become publishable once no older transaction on the server is open (xmin).
    with pytest.raises(RuntimeError):
        wait_until(lambda: relay.publish_batch() and False, timeout=10, message="the relay to try")
    assert unpublished(engine) == 3


def test_concurrent_relays_keep_per_account_order(uow_factory, engine, producer, topic, kafka_bootstrap):
    write_events(uow_factory, topic, ["A", "B"], per_account=100)
    relays = [outbox.OutboxRelay(engine, producer, batch_size=7) for _ in range(3)]

    def drain(relay):
        while unpublished(engine):
            relay.publish_batch()

    threads = [threading.Thread(target=drain, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    got = read_topic(kafka_bootstrap, topic, expected=200)
    for account in "AB":
        assert [e.payload.value for e in got if e.account == account] == [str(i) for i in range(100)]


def test_prune_removes_only_old_published_rows(uow_factory, engine, producer, topic):
    write_events(uow_factory, topic, ["A"], per_account=3)
    relay = outbox.OutboxRelay(engine, producer)
    relay.publish_batch()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE outbox SET published_at = now() - interval '10 days' WHERE id = (SELECT min(id) FROM outbox)"))
    write_events(uow_factory, topic, ["A"], per_account=1)  # unpublished rows are never pruned
    assert relay.prune(retention_days=7) == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.outbox)).scalar() == 3


def test_crash_between_commit_and_publish_still_delivers(make_database, start_service, kafka_bootstrap):
    """The relay is down (crashed) when the reading commits; after a restart the event goes out."""
    import grpc

    meters_db = make_database("meters")
    service = start_service("meters.service:MetersService", meters_db, GOROD_RELAY_ENABLED="false")
    account = f"9{uuid.uuid4().int % 10**9:09d}"
    with grpc.insecure_channel(service.address) as channel:
        stub = meters_pb2_grpc.MetersServiceStub(channel)
        meter = meters_api.Meter(account=account, service="cold_water", serial="M1", unit="m3", digits=5, decimals=1)
        meter_id = stub.RegisterMeter(meters_api.RegisterMeterRequest(meter=meter), timeout=5).meter_id
        response = stub.SubmitReadings(
            meters_api.SubmitReadingsRequest(account=account, source="cabinet",
                                             readings=[meters_api.ReadingInput(meter_id=meter_id, value="10.5")]),
            timeout=5,
        )
    reading_id = response.readings[0].reading_id
    service.crash()
    engine = db.make_engine(meters_db, pool_size=1)
    assert unpublished(engine) == 1
    start_service("meters.service:MetersService", meters_db)
    consumer = KafkaConsumer("meters.reading-submitted.v1", bootstrap_servers=kafka_bootstrap,
                             auto_offset_reset="earliest", group_id=None, consumer_timeout_ms=20000)
    delivered = next((events.parse_envelope(r.value) for r in consumer if r.key == account.encode()), None)
    consumer.close()
    assert delivered is not None, "the event was not delivered after the restart"
    assert delivered.event_id == reading_id
    assert delivered.payload.value == "10.5"
    assert unpublished(engine) == 0
    engine.dispose()


def test_a_row_written_earlier_but_committed_later_is_not_overtaken(uow_factory, engine, producer, topic, kafka_bootstrap):
    relay = outbox.OutboxRelay(engine, producer)
    slow = uow_factory().__enter__()
    slow.publish(topic, "A", meters_pb2.ReadingSubmitted(account="A", value="first"))
    slow.connection.execute(db.outbox.insert(), slow._outbox)  # inserted, not committed
    slow._outbox = []
    write_events(uow_factory, topic, ["A"], per_account=1)    # a later insert commits first
    assert relay.publish_batch() == 0                        # waits for the older transaction
    slow.commit()
    slow.__exit__(None, None, None)
    assert relay.publish_batch() == 2
    got = read_topic(kafka_bootstrap, topic, expected=2)
    assert [e.payload.value for e in got] == ["first", "0"]

"""The Kafka consumer entrypoint against a real broker and PostgreSQL, service in its own process."""
import uuid

import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer, KafkaProducer

from gorod.events.v1 import meters_pb2
from gorod_runtime import db, events, kafka
from gorod_runtime.consumer import dlq_topic
from gorod_runtime.testing import group_prefix_for, wait_until


@pytest.fixture
def topic_and_group(kafka_bootstrap):
    suffix = uuid.uuid4().hex[:8]
    topic, group = f"sample.events-{suffix}.v1", f"sample-{suffix}.effects"
    kafka.ensure_topics(kafka_bootstrap, [topic], partitions=4)
    return topic, group


@pytest.fixture
def producer(kafka_bootstrap):
    p = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    yield p
    p.close()


def envelope(account: str, behaviour: str, value: str = "1", event_id: str | None = None) -> bytes:
    payload = meters_pb2.ReadingSubmitted(account=account, meter_id="M1", value=value, source=behaviour)
    return events.build_envelope("sample.events.v1", "test", account, payload, event_id=event_id).SerializeToString()


def effects(db_url: str) -> list[tuple]:
    engine = db.make_engine(db_url, pool_size=1)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT event_id, account, value FROM effects ORDER BY id")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def dead_letters(kafka_bootstrap: str, group: str, expected: int) -> list:
    consumer = KafkaConsumer(dlq_topic(group), bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=10000, group_id=None)
    records = []
    for record in consumer:
        records.append(record)
        if len(records) >= expected:
            break
    consumer.close()
    return records


@pytest.fixture
def sample(start_sample, topic_and_group):
    topic, group = topic_and_group
    return lambda **env: start_sample(SAMPLE_TOPIC=topic, SAMPLE_GROUP=group, **env)


def test_the_same_event_twice_has_one_effect(sample, sample_db, producer, topic_and_group):
    topic, _ = topic_and_group
    sample()
    event_id = str(uuid.uuid4())
    for _ in range(2):
        producer.send(topic, key=b"100", value=envelope("100", "ok", event_id=event_id))
    producer.send(topic, key=b"100", value=envelope("100", "ok", value="marker"))
    producer.flush()
    wait_until(lambda: len(effects(sample_db)) >= 2, message="both events handled")
    rows = effects(sample_db)
    assert [r[0] for r in rows].count(event_id) == 1
    assert rows[-1][2] == "marker"


def test_records_of_one_account_are_handled_in_order(sample, sample_db, producer, topic_and_group):
    topic, _ = topic_and_group
    sample()
    for i in range(50):
        producer.send(topic, key=b"200", value=envelope("200", "ok", value=str(i)))
    producer.flush()
    wait_until(lambda: len(effects(sample_db)) == 50, message="50 effects")
    assert [int(r[2]) for r in effects(sample_db)] == list(range(50))


def test_a_handler_that_raises_is_retried_and_the_event_redelivered(sample, sample_db, producer, topic_and_group):
    topic, _ = topic_and_group
    sample(GOROD_CONSUMER_MAX_ATTEMPTS="5")
    producer.send(topic, key=b"300", value=envelope("300", "fail:2", value="after-retries"))
    producer.flush()
    rows = wait_until(lambda: effects(sample_db), message="the effect after two failures")
    assert [r[2] for r in rows] == ["after-retries"]


def test_an_offset_is_not_committed_while_the_handler_fails(sample, sample_db, producer, topic_and_group):
    topic, _ = topic_and_group
    service = sample(GOROD_CONSUMER_MAX_ATTEMPTS="1000")
    producer.send(topic, key=b"400", value=envelope("400", "fail-unless-env", value="healed"))
    producer.flush()
    wait_until(lambda: "not healed yet" in service.log(), message="the handler to fail")
    assert service.stop() == 0
    assert effects(sample_db) == []
    # A fixed release starts: the record was not committed, so it is delivered again.
    sample(GOROD_CONSUMER_MAX_ATTEMPTS="1000", SAMPLE_HEAL="1")
    rows = wait_until(lambda: effects(sample_db), timeout=30, message="the redelivered event")
    assert [r[2] for r in rows] == ["healed"]


def test_a_poison_event_goes_to_the_dlq_and_later_events_are_processed(
    sample, sample_db, producer, topic_and_group, kafka_bootstrap
):
    topic, group = topic_and_group
    sample(GOROD_CONSUMER_MAX_ATTEMPTS="3")
    group = group_prefix_for(sample_db) + group  # the group's name in Kafka
    poison_id = str(uuid.uuid4())
    producer.send(topic, key=b"500", value=envelope("500", "poison", event_id=poison_id))
    producer.send(topic, key=b"500", value=b"not an envelope at all")
    producer.send(topic, key=b"500", value=envelope("500", "ok", value="after-poison"))
    producer.flush()
    rows = wait_until(lambda: effects(sample_db), timeout=30, message="the event after the poison one")
    assert [r[2] for r in rows] == ["after-poison"]
    letters = dead_letters(kafka_bootstrap, group, expected=2)
    assert len(letters) == 2
    headers = [dict(r.headers) for r in letters]
    assert events.parse_envelope(letters[0].value).event_id == poison_id
    assert headers[0]["gorod-attempts"] == b"3"
    assert b"poison event" in headers[0]["gorod-error"]
    assert letters[1].value == b"not an envelope at all"
    assert headers[1]["gorod-attempts"] == b"0"


def test_a_failure_inside_a_batch_keeps_every_effect_once_and_in_order(sample, sample_db, producer, topic_and_group):
    topic, _ = topic_and_group
    sample(GOROD_CONSUMER_BATCH_SIZE="50")
    behaviours = ["ok"] * 30
    behaviours[9], behaviours[19], behaviours[25] = "fail:1", "skip", "poison"
    for i, behaviour in enumerate(behaviours):
        producer.send(topic, key=b"600", value=envelope("600", behaviour, value=str(i)))
    producer.flush()
    wait_until(lambda: any(r[2] == "29" for r in effects(sample_db)), timeout=30, message="the last event")
    assert [int(r[2]) for r in effects(sample_db)] == [i for i in range(30) if i not in (19, 25)]

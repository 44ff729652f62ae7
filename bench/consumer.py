"""Consumer throughput through the kit's consumer entrypoint with inbox dedupe into PostgreSQL.

Produces N `meters.reading-submitted.v1` events over many accounts, then runs the accruals
service, whose handler claims each event in its inbox and upserts the consumption
projection in one transaction. The rate is taken from the inbox rows' commit times, so
the group join does not count. Figures: consumer_events_per_s (target >= 2,000) and, as
the same-run baseline, bare_consumer_events_per_s: a plain kafka-python consumer reading
the same records with no handler and no database.
"""
from __future__ import annotations

import dataclasses
import time

import sqlalchemy as sa
from common import arguments, broker, database, emit, postgres, service
from kafka import KafkaConsumer

from gorod.events.v1 import meters_pb2
from gorod_runtime import db, events, kafka
from gorod_runtime.settings import load_kafka

TOPIC = "meters.reading-submitted.v1"


def produce(bootstrap: str, count: int) -> None:
    producer = kafka.make_producer(dataclasses.replace(load_kafka(), bootstrap_servers=bootstrap), client_id="bench")
    for i in range(count):
        account = f"{100000000 + i % 50_000}"
        payload = meters_pb2.ReadingSubmitted(reading_id=f"00000000-0000-4000-8000-{i:012d}", account=account,
                                              meter_id=f"M{i % 3}", service="cold_water", value=f"{i}.5",
                                              consumption="1.5", source="cabinet")
        payload.period.year, payload.period.month = 2026, 11
        payload.submitted_at.GetCurrentTime()
        producer.send(TOPIC, key=account.encode(),
                      value=events.build_envelope(TOPIC, "meters", account, payload).SerializeToString())
    producer.flush()
    producer.close()


def bare_consume(bootstrap: str, count: int) -> float:
    consumer = KafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                             max_poll_records=500)
    seen, started = 0, None
    while seen < count:
        batch = consumer.poll(timeout_ms=1000)
        if batch and started is None:
            started = time.perf_counter()
        seen += sum(len(records) for records in batch.values())
    elapsed = time.perf_counter() - started
    consumer.close()
    return count / elapsed


def main() -> None:
    args = arguments(__doc__, events=(int, 50_000, "events to consume"))
    count = 10_000 if args.quick else args.events
    with postgres() as pg, broker() as bootstrap, database(pg, "accruals") as url:
        kafka.ensure_topics(bootstrap, [TOPIC])
        produce(bootstrap, count)
        bare_rate = bare_consume(bootstrap, count)
        engine = db.make_engine(url, pool_size=1)

        def handled() -> int:
            with engine.connect() as conn:
                return conn.execute(sa.select(sa.func.count()).select_from(db.inbox)).scalar()

        with service("accruals.service:AccrualsService", url, bootstrap):
            deadline = time.monotonic() + 600
            while handled() < count and time.monotonic() < deadline:
                time.sleep(0.5)
        with engine.connect() as conn:
            first, last, total = conn.execute(
                sa.select(sa.func.min(db.inbox.c.processed_at), sa.func.max(db.inbox.c.processed_at), sa.func.count())
            ).one()
        engine.dispose()
    assert total == count, f"only {total} of {count} events handled"
    emit("consumer_events_per_s", (total - 1) / (last - first).total_seconds(), "events/s")
    emit("bare_consumer_events_per_s", bare_rate, "events/s")


if __name__ == "__main__":
    main()

"""Outbox relay throughput: committed outbox rows to acknowledged broker writes.

Fills a service database's outbox with N events over many accounts (as the meters
service writes them), then runs the kit's relay until the outbox is drained. Figures:
relay_events_per_s (target >= 5,000) and, as the same-run baseline, producer_events_per_s:
the bare idempotent producer sending the same records with no database at all.
"""
from __future__ import annotations

import dataclasses
import time

import sqlalchemy as sa
from common import arguments, broker, database, emit, postgres

from gorod.events.v1 import meters_pb2
from gorod_runtime import db, events, kafka, outbox
from gorod_runtime.settings import load_kafka

TOPIC = "meters.reading-submitted.v1"


def rows(count: int, accounts: int = 10_000):
    for i in range(count):
        account = f"{100000000 + i % accounts}"
        payload = meters_pb2.ReadingSubmitted(reading_id=str(i), account=account, meter_id=f"M{i % 3}",
                                              service="cold_water", value=f"{i}.000", source="cabinet")
        envelope = events.build_envelope(TOPIC, "meters", account, payload)
        yield {"event_id": envelope.event_id, "topic": TOPIC, "key": account, "envelope": envelope.SerializeToString()}


def main() -> None:
    args = arguments(__doc__, events=(int, 200_000, "outbox rows"), batch=(int, 1000, "relay batch size"))
    count = 30_000 if args.quick else args.events
    with postgres() as pg, broker() as bootstrap, database(pg, "meters") as url:
        kafka.ensure_topics(bootstrap, [TOPIC])
        settings = dataclasses.replace(load_kafka(), bootstrap_servers=bootstrap)
        data = list(rows(count))
        engine = db.make_engine(url, pool_size=2)
        with engine.begin() as conn:
            conn.execute(db.outbox.insert(), data)

        producer = kafka.make_producer(settings, client_id="bench-relay")
        relay = outbox.OutboxRelay(engine, producer, batch_size=args.batch)
        started = time.perf_counter()
        while relay.publish_batch():
            pass
        relay_s = time.perf_counter() - started
        with engine.connect() as conn:
            left = conn.execute(sa.select(sa.func.count()).select_from(db.outbox).where(db.outbox.c.published_at.is_(None))).scalar()
        assert left == 0, f"{left} rows left unpublished"

        started = time.perf_counter()
        for row in data:
            producer.send(TOPIC, key=row["key"].encode(), value=row["envelope"])
        producer.flush()
        producer_s = time.perf_counter() - started
        producer.close()
        engine.dispose()
    emit("relay_events_per_s", count / relay_s, "events/s")
    emit("producer_events_per_s", count / producer_s, "events/s")
    emit("relay_over_producer", relay_s / producer_s, "x")


if __name__ == "__main__":
    main()

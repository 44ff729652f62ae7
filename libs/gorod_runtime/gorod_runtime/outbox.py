"""Outbox relay: publish committed outbox rows to Kafka, in order, then mark them published.

Rows leave in id (insert) order. A row is taken only when every transaction older than
the one that wrote it has ended (its xid is below the snapshot's xmin), so a transaction
that inserted earlier but commits later cannot be overtaken. One relay publishes at a
time (a transaction-scoped advisory lock), even when every replica of a service runs one.
A long transaction in the service's database therefore delays publishing until it ends.
A crash after publishing and before marking publishes those rows again; consumers'
inboxes make that harmless. Published rows are kept for replay until pruned.
"""
from __future__ import annotations

import logging
import time

import eventlet
import sqlalchemy as sa
from nameko.extensions import DependencyProvider

from gorod_runtime import db, kafka, metrics

log = logging.getLogger(__name__)

_LOCK_KEY = 0x60_0D_0B_0C  # arbitrary, the same in every service database
_PRUNE_EVERY_S = 600


class OutboxRelay:
    def __init__(self, engine: sa.Engine, producer, batch_size: int = 1000, service: str = ""):
        self.engine = engine
        self.producer = producer
        self.batch_size = batch_size
        self.service = service

    def publish_batch(self) -> int:
        """Publish up to batch_size unpublished rows; return how many were published."""
        with self.engine.begin() as conn:
            if not conn.execute(sa.select(sa.func.pg_try_advisory_xact_lock(_LOCK_KEY))).scalar():
                return 0
            rows = conn.execute(
                sa.select(db.outbox.c.id, db.outbox.c.topic, db.outbox.c.key, db.outbox.c.envelope)
                .where(db.outbox.c.published_at.is_(None),
                       db.outbox.c.created_xid < sa.func.pg_snapshot_xmin(sa.func.pg_current_snapshot()))
                .order_by(db.outbox.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            futures = [self.producer.send(r.topic, key=r.key.encode(), value=r.envelope) for r in rows]
            self.producer.flush()
            for future in futures:
                future.get(timeout=30)  # raises if the broker did not acknowledge: roll back, retry
            conn.execute(
                sa.update(db.outbox).where(db.outbox.c.id.in_([r.id for r in rows]))
                .values(published_at=sa.func.now())
            )
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    def prune(self, retention_days: int) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.delete(db.outbox).where(
                    db.outbox.c.published_at < sa.func.now() - sa.text(f"interval '{int(retention_days)} days'")
                )
            )
        return result.rowcount

    def run(self, should_run, idle_sleep: float, retention_days: int, sleep=time.sleep) -> None:
        """Loop until should_run() is false; back off on errors, never die."""
        last_prune = 0.0
        failures = 0
        while should_run():
            try:
                published = self.publish_batch()
                failures = 0
                if time.monotonic() - last_prune > _PRUNE_EVERY_S:
                    self.prune(retention_days)
                    last_prune = time.monotonic()
            except Exception:
                failures += 1
                log.exception("outbox relay failed; retrying")
                sleep(min(5.0, 0.1 * 2 ** failures))
                continue
            if published < self.batch_size:
                sleep(idle_sleep)


class OutboxRelayRunner(DependencyProvider):
    """Runs the relay inside a service container, in its own green thread."""

    def setup(self):
        self.settings = self.container.config["GOROD"]
        self._running = False

    def start(self):
        if not self.settings.relay.enabled:
            return
        self.engine = db.make_engine(self.settings.db_url, pool_size=1, application_name=f"gorod-{self.settings.service}-relay")
        self.producer = kafka.make_producer(self.settings.kafka, client_id=f"{self.settings.service}-relay")
        self.relay = OutboxRelay(self.engine, self.producer, self.settings.relay.batch_size, self.settings.service)
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox relay")

    def _run(self):
        self.relay.run(lambda: self._running, self.settings.relay.idle_poll_ms / 1000,
                       self.settings.relay.retention_days, sleep=eventlet.sleep)

    def stop(self):
        if self._running:
            self._running = False
            self._thread.wait()
            self.producer.close(timeout=5)
            self.engine.dispose()

    kill = stop

"""Kafka consumer entrypoint on kafka-python.

    @consume("meters.reading-submitted.v1", group="accruals.consumption")
    def on_reading_submitted(self, event: Event): ...

- The handler runs as a nameko worker; its UnitOfWork claims the event in the inbox in
  the same transaction as its effect, so a redelivered event has no second effect.
- An offset is committed only after the handlers of every record up to it returned,
  i.e. after their transactions committed.
- Records of one partition are handled one after another, in order; partitions of one
  poll are handled concurrently.
- Consecutive records of a partition share one database transaction (up to
  GOROD_CONSUMER_BATCH_SIZE), each handler in its own savepoint, so a commit is paid per
  batch rather than per event. A handler that raises in a batch ends the batch there:
  the events before it commit, and it is retried on its own.
- A handler that raises is retried with backoff; after GOROD_CONSUMER_MAX_ATTEMPTS tries
  the record goes to `<group>.dlq` (same key and value, error in headers) and the
  consumer moves on. A record that is not a valid envelope goes there at once.
"""
from __future__ import annotations

import logging
import time

import eventlet
from eventlet.event import Event as GreenEvent
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from nameko.extensions import Entrypoint

from gorod_runtime import kafka, metrics
from gorod_runtime.events import BadEnvelope, parse_envelope
from gorod_runtime.uow import BATCH_CONTEXT_KEY, INBOX_CONTEXT_KEY, AlreadyProcessed, Batch, Database

log = logging.getLogger(__name__)


STOP_TIMEOUT_S = 10


def dlq_topic(group: str) -> str:
    return f"{group}.dlq"


class Consume(Entrypoint):
    def __init__(self, topic: str, group: str, **kwargs):
        super().__init__(**kwargs)
        self.topic = topic
        self.group = group

    def setup(self):
        self.settings = self.container.config["GOROD"]
        self.kafka_settings = self.settings.kafka
        self._running = False
        self._thread = None
        self._dlq_producer = None
        self._database = next(d for d in self.container.dependencies if isinstance(d, Database))

    def start(self):
        self._running = True
        self._consumer = kafka.make_consumer(
            self.kafka_settings, self.group, [self.topic], client_id=f"{self.container.service_name}-{self.method_name}"
        )
        self._thread = self.container.spawn_managed_thread(self._loop, identifier=f"consumer {self.group}")

    def stop(self):
        self._running = False
        if self._thread is not None:
            # A poll can block while the group rebalances; killing it loses nothing,
            # since offsets are only committed for finished work.
            with eventlet.Timeout(STOP_TIMEOUT_S, False):
                self._thread.wait()
            self._thread.kill()
            self._thread = None

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()

    # -- the poll loop -----------------------------------------------------------------

    def _loop(self):
        try:
            while self._running:
                batch = self._consumer.poll(timeout_ms=200)
                if not batch:
                    continue
                pile = eventlet.GreenPile()
                for tp, records in batch.items():
                    pile.spawn(self._handle_partition, tp, records)
                offsets = {tp: OffsetAndMetadata(next_offset, "", -1) for tp, next_offset in pile if next_offset is not None}
                if offsets:
                    self._commit(offsets)
        finally:
            self._consumer.close(autocommit=False)
            if self._dlq_producer is not None:
                self._dlq_producer.close(timeout=5)

    def _commit(self, offsets):
        try:
            self._consumer.commit(offsets=offsets)
        except CommitFailedError:
            # The partitions moved to another member; it will redeliver, the inbox dedupes.
            log.warning("offset commit failed after a rebalance; records will be redelivered")

    def _handle_partition(self, tp, records):
        """Handle records in order; return the offset to commit (next to read) or None."""
        next_offset = None
        position = 0
        batch_size = self.kafka_settings.consumer_batch_size
        while position < len(records) and self._running:
            done = self._handle_batch(records[position:position + batch_size]) if batch_size > 1 else 0
            if done == 0:  # the first record failed in a batch, or cannot be read: alone, with retries
                if not self._handle_record(records[position]):
                    break
                done = 1
            position += done
            next_offset = records[position - 1].offset + 1
        return tp, next_offset

    def _handle_batch(self, records) -> int:
        """Handle a run of records in one transaction; return how many are done (committed)."""
        parsed = []
        for record in records:
            try:
                parsed.append(parse_envelope(record.value))
            except BadEnvelope:
                break  # it goes to the DLQ on the single-record path
        if not parsed:
            return 0
        batch = Batch(self._database.engine)
        handled = 0
        try:
            for event in parsed:
                if self._run_handler(event, batch) is not None:
                    break
                handled += 1
            if handled:
                batch.commit()
            else:
                batch.rollback()
        except Exception:
            log.exception("batch of %d events failed to commit; handling them one by one", handled)
            batch.rollback()
            return 0
        return handled

    def _handle_record(self, record) -> bool:
        """True when the record is done with (handled, duplicate, or dead-lettered)."""
        try:
            event = parse_envelope(record.value)
        except BadEnvelope as exc:
            return self._dead_letter(record, str(exc), attempts=0)
        attempts = self.kafka_settings.consumer_max_attempts
        backoff = self.kafka_settings.consumer_retry_backoff_ms / 1000
        error = None
        for attempt in range(1, attempts + 1):
            error = self._run_handler(event)
            if error is None:
                return True
            metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.group, self.topic, "retry").inc()
            log.warning("handler %s failed on event %s (attempt %d/%d): %r",
                        self.method_name, event.event_id, attempt, attempts, error)
            if attempt < attempts:
                self._sleep(min(30.0, backoff * 2 ** (attempt - 1)))
                if not self._running:
                    return False  # not committed: redelivered after restart
        return self._dead_letter(record, repr(error), attempts=attempts)

    def _sleep(self, seconds: float) -> None:
        """Sleep, but wake within 0.1 s of a stop."""
        deadline = time.monotonic() + seconds
        while self._running and time.monotonic() < deadline:
            eventlet.sleep(min(0.1, deadline - time.monotonic()))

    def _run_handler(self, event, batch: Batch | None = None):
        """Run the service method as a worker; return None on success, else the exception."""
        done = GreenEvent()

        def handle_result(worker_ctx, result, exc_info):
            if exc_info is not None and isinstance(exc_info[1], AlreadyProcessed):
                metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.group, self.topic, "duplicate").inc()
                done.send(None)
                return result, None
            if exc_info is None:
                metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.group, self.topic, "ok").inc()
            done.send(None if exc_info is None else exc_info[1])
            return result, exc_info

        context = {"correlation_id": event.correlation_id, INBOX_CONTEXT_KEY: [self.group, event.event_id],
                   BATCH_CONTEXT_KEY: batch}
        self.container.spawn_worker(self, (event,), {}, context_data=context, handle_result=handle_result)
        return done.wait()

    def _dead_letter(self, record, reason: str, attempts: int) -> bool:
        if self._dlq_producer is None:
            self._dlq_producer = kafka.make_producer(self.kafka_settings, client_id=f"{self.group}-dlq")
        headers = [
            ("gorod-error", reason[:1000].encode()),
            ("gorod-source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ("gorod-attempts", str(attempts).encode()),
        ]
        while True:
            try:
                self._dlq_producer.send(dlq_topic(self.group), key=record.key, value=record.value, headers=headers).get(timeout=30)
                break
            except KafkaError:
                log.exception("cannot write to %s; retrying", dlq_topic(self.group))
                if not self._running:
                    return False
                self._sleep(1)
        metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.group, self.topic, "dead_lettered").inc()
        log.error("record %s/%s/%s sent to %s after %d attempts: %s",
                  record.topic, record.partition, record.offset, dlq_topic(self.group), attempts, reason)
        return True


consume = Consume.decorator

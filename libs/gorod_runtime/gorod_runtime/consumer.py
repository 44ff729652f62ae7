"""Kafka consumer entrypoint on kafka-python.

    @consume("meters.reading-submitted.v1", group="accruals.consumption")
    def on_reading_submitted(self, event: Event): ...

- The handler runs as a nameko worker; its UnitOfWork claims the event in the inbox in
  the same transaction as its effect, so a redelivered event has no second effect.
- An offset is committed only after the handlers of every record before it returned,
  i.e. after their transactions committed.
- Each assigned partition has its own green thread handling its records one after
  another, in order; partitions proceed concurrently. The poll loop only fetches, hands
  records over and commits finished offsets; while many records wait it stops fetching,
  but polls at least every third of max.poll.interval.ms to stay in the group.
  (kafka-python 3.0's pause/resume loses the parked records of a resumed partition
  against Tansu, so the kit does not pause partitions.)
- Consecutive records of a partition share one database transaction (up to
  GOROD_CONSUMER_BATCH_SIZE), so a commit is paid per batch rather than per event. A
  handler that raises, or leaves its unit of work uncommitted, spoils the batch: it is
  rolled back, the events before the failed one are redone as a batch, and the failed
  one is retried on its own.
- A handler that keeps raising is retried with backoff; after GOROD_CONSUMER_MAX_ATTEMPTS
  tries the record goes to `<group>.dlq` (same key and value, the error in headers) and
  the consumer moves on. A record that is not a valid envelope goes there at once.
"""
from __future__ import annotations

import collections
import logging
import time

import eventlet
import sqlalchemy as sa
from eventlet.event import Event as GreenEvent
from kafka import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from nameko.extensions import Entrypoint
from sqlalchemy import exc as sa_exc

from gorod_runtime import db, kafka, metrics
from gorod_runtime.events import BadEnvelope, parse_envelope
from gorod_runtime.uow import BATCH_CONTEXT_KEY, INBOX_CONTEXT_KEY, AlreadyProcessed, Batch, Database

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10
MAX_BACKLOG = 10_000     # records waiting in memory before the loop stops fetching
COMMIT_INTERVAL_S = 0.2
PRUNE_INTERVAL_S = 600


def dlq_topic(group: str) -> str:
    return f"{group}.dlq"


class _Partition:
    """The records of one assigned partition and the green thread that handles them."""

    def __init__(self, entrypoint: Consume, tp):
        self.entrypoint = entrypoint
        self.tp = tp
        self.backlog: collections.deque = collections.deque()
        self.next_offset: int | None = None   # first offset not yet handled: what to commit
        self.committed: int | None = None
        self.running = True
        self._wakeup = GreenEvent()
        self.thread = entrypoint.container.spawn_managed_thread(self._run, identifier=f"consumer {tp}")

    def add(self, records) -> None:
        self.backlog.extend(records)
        self.wake()

    def wake(self) -> None:
        if not self._wakeup.ready():
            self._wakeup.send(None)

    def _run(self) -> None:
        batch_size = self.entrypoint.kafka_settings.consumer_batch_size
        while self.running:
            if not self.backlog:
                self._wakeup.wait()
                self._wakeup = GreenEvent()
                continue
            run = [self.backlog[i] for i in range(min(batch_size, len(self.backlog)))]
            done = self.entrypoint.handle_batch(run) if batch_size > 1 else 0
            if done == 0:  # the first record failed in a batch, or cannot be read: alone, with retries
                if not self.entrypoint.handle_record(run[0], lambda: self.running):
                    return  # stopping while it still fails: not committed, redelivered later
                done = 1
            for _ in range(done):
                self.backlog.popleft()
            self.next_offset = run[done - 1].offset + 1


class Consume(Entrypoint, ConsumerRebalanceListener):
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
        self._partitions: dict = {}
        self._database = next(d for d in self.container.dependencies if isinstance(d, Database))
        # The group in Kafka carries the environment's prefix; the inbox keeps the plain name.
        self.kafka_group = self.kafka_settings.group_prefix + self.group

    def start(self):
        self._running = True
        self._consumer = kafka.make_consumer(
            self.kafka_settings, self.kafka_group, client_id=f"{self.container.service_name}-{self.method_name}"
        )
        self._consumer.subscribe([self.topic], listener=self)
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
        for partition in self._partitions.values():
            partition.thread.kill()
        if self._thread is not None:
            self._thread.kill()

    # -- the poll loop -----------------------------------------------------------------

    def _loop(self):
        last_commit = last_poll = last_prune = 0.0
        keep_membership_s = self.kafka_settings.max_poll_interval_ms / 1000 / 3
        try:
            while self._running:
                backlog = sum(len(p.backlog) for p in self._partitions.values())
                if backlog < MAX_BACKLOG or time.monotonic() - last_poll > keep_membership_s:
                    fetched = self._consumer.poll(timeout_ms=100)
                    last_poll = time.monotonic()
                    for tp, records in fetched.items():
                        partition = self._partitions.get(tp)
                        if partition is None:
                            partition = self._partitions[tp] = _Partition(self, tp)
                        partition.add(records)
                else:
                    eventlet.sleep(0.05)
                if time.monotonic() - last_commit >= COMMIT_INTERVAL_S:
                    self._commit(list(self._partitions.values()))
                    last_commit = time.monotonic()
                if time.monotonic() - last_prune >= PRUNE_INTERVAL_S:
                    self._prune_inbox()
                    last_prune = time.monotonic()
        finally:
            self._drop(list(self._partitions))
            self._consumer.close(autocommit=False)
            if self._dlq_producer is not None:
                self._dlq_producer.close(timeout=5)

    def _prune_inbox(self) -> None:
        """Forget events older than any redelivery could be (the topic's retention and more)."""
        days = self.kafka_settings.inbox_retention_days
        try:
            with self._database.engine.begin() as conn:
                conn.execute(sa.delete(db.inbox).where(
                    db.inbox.c.consumer_group == self.group,
                    db.inbox.c.processed_at < sa.func.now() - sa.func.make_interval(0, 0, 0, days),
                ))
        except sa_exc.DBAPIError:
            log.warning("could not prune the inbox of %s; will try again", self.group)

    def _commit(self, partitions) -> None:
        sent = {p: p.next_offset for p in partitions if p.next_offset is not None and p.next_offset != p.committed}
        if not sent:
            return
        try:
            self._consumer.commit(offsets={p.tp: OffsetAndMetadata(offset, "", -1) for p, offset in sent.items()})
        except CommitFailedError:
            # The partitions moved to another member; it will redeliver, the inbox dedupes.
            log.warning("offset commit failed after a rebalance; records will be redelivered")
            return
        for partition, offset in sent.items():  # the handlers may have moved on during the commit
            partition.committed = offset

    def _drop(self, tps) -> None:
        """Stop the given partitions' threads together and commit what they finished."""
        dropped = [self._partitions.pop(tp) for tp in tps if tp in self._partitions]
        for partition in dropped:
            partition.running = False
            partition.wake()
        with eventlet.Timeout(STOP_TIMEOUT_S / 2, False):
            for partition in dropped:
                partition.thread.wait()
        for partition in dropped:
            partition.thread.kill()
        self._commit(dropped)

    # ConsumerRebalanceListener: called from poll(), in the loop's green thread.
    def on_partitions_revoked(self, revoked):
        log.info("group %s: partitions revoked: %s", self.group, sorted(tp.partition for tp in revoked))
        self._drop(revoked)

    def on_partitions_assigned(self, assigned):
        log.info("group %s: partitions assigned: %s", self.group, sorted(tp.partition for tp in assigned))

    # -- handling records ----------------------------------------------------------------

    def handle_batch(self, records) -> int:
        """Handle a run of records in one transaction; return how many are done (committed)."""
        parsed = []
        for record in records:
            try:
                parsed.append(parse_envelope(record.value))
            except BadEnvelope:
                break  # it goes to the DLQ on the single-record path
        if not parsed:
            return 0
        try:
            batch = Batch(self._database.engine)
        except sa_exc.DBAPIError:
            return 0  # the single-record path waits for the database
        handled = 0
        try:
            for event in parsed:
                if self._run_handler(event, batch) is not None or batch.spoiled:
                    break
                handled += 1
        except Exception:
            log.exception("a batch of %d events failed; handling them again", len(parsed))
            batch.rollback()
            return 0
        if handled < len(parsed) and (batch.spoiled or handled == 0):
            # The failed handler's writes cannot be undone alone: undo all, redo those before it.
            batch.rollback()
            return self.handle_batch(records[:handled]) if handled else 0
        try:
            batch.commit()
        except Exception:
            log.exception("a batch of %d events failed to commit; handling them one by one", handled)
            return 0
        return handled

    def handle_record(self, record, keep_going) -> bool:
        """Handle one record with retries; True when it is done (handled, duplicate, or dead-lettered)."""
        try:
            event = parse_envelope(record.value)
        except BadEnvelope as exc:
            return self._dead_letter(record, str(exc), 0, keep_going)
        attempts = self.kafka_settings.consumer_max_attempts
        backoff = self.kafka_settings.consumer_retry_backoff_ms / 1000
        error = None
        attempt = 0
        while attempt < attempts:
            error = self._run_handler(event)
            if error is None:
                return True
            if _is_outage(error):
                # The database is away: no fault of this event, so it is not an attempt.
                log.warning("database unavailable while handling %s; waiting", event.event_id)
                self._sleep(min(5.0, max(backoff, 0.5)), keep_going)
                if not keep_going():
                    return False
                continue
            attempt += 1
            metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.group, self.topic, "retry").inc()
            log.warning("handler %s failed on event %s (attempt %d/%d): %r",
                        self.method_name, event.event_id, attempt, attempts, error)
            if attempt < attempts:
                self._sleep(min(30.0, backoff * 2 ** (attempt - 1)), keep_going)
                if not keep_going():
                    return False
        return self._dead_letter(record, repr(error), attempts, keep_going)


    def _sleep(self, seconds: float, keep_going) -> None:
        """Sleep, but wake within 0.1 s of a stop."""
        deadline = time.monotonic() + seconds
        while keep_going() and time.monotonic() < deadline:
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

    def _dead_letter(self, record, reason: str, attempts: int, keep_going) -> bool:
        if self._dlq_producer is None:
            self._dlq_producer = kafka.make_producer(self.kafka_settings, client_id=f"{self.group}-dlq")
        headers = [
            ("gorod-error", reason[:1000].encode()),
            ("gorod-source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ("gorod-attempts", str(attempts).encode()),
        ]
        while True:
            try:
                self._dlq_producer.send(dlq_topic(self.kafka_group), key=record.key, value=record.value,
                                        headers=headers).get(timeout=30)
                break
            except KafkaError:
                log.exception("cannot write to %s; retrying", dlq_topic(self.kafka_group))
                if not keep_going():
                    return False
                self._sleep(1, keep_going)
        metrics.EVENTS_CONSUMED.labels(self.container.service_name, self.group, self.topic, "dead_lettered").inc()
        log.error("record %s/%s/%s sent to %s after %d attempts: %s",
                  record.topic, record.partition, record.offset, dlq_topic(self.kafka_group), attempts, reason)
        return True


_OUTAGE_SQLSTATES = ("57P01", "57P02", "57P03")  # admin shutdown, crash shutdown, cannot connect now


def _is_outage(error: BaseException) -> bool:
    """A lost or refused database connection, as opposed to a fault of the handler. Deadlocks,
    serialization failures and timeouts have a SQLSTATE of their own and count as attempts."""
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    sqlstate = getattr(error.orig, "pgcode", None)
    return isinstance(error, sa_exc.OperationalError) and (
        sqlstate is None or sqlstate.startswith("08") or sqlstate in _OUTAGE_SQLSTATES
    )


consume = Consume.decorator

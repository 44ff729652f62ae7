"""Unit of work: one transaction for the state change, its outbox rows and its inbox row.

    with self.uow as uow:
        storage.add_reading(uow.connection, reading)
        uow.publish("meters.reading-submitted.v1", account, payload)
        uow.commit()

Leaving the block without `commit()` rolls everything back. For a worker started by a
Kafka consumer, entering the block claims the event in the inbox first; if this consumer
group already processed it, `AlreadyProcessed` is raised and the consumer treats the
record as done.

A consumer may run several events in one database transaction (a batch): then each
handler's block works inside that transaction, `commit()` only writes its outbox rows,
and the consumer commits once for the batch, before it commits the offsets. A handler
that leaves its block without committing spoils the batch: the consumer rolls it back
and handles those events again one at a time.
"""
from __future__ import annotations

import sqlalchemy as sa
from google.protobuf import message
from nameko.extensions import DependencyProvider
from sqlalchemy.dialects.postgresql import insert

from gorod_runtime import db, events, logs

INBOX_CONTEXT_KEY = "gorod.inbox"
BATCH_CONTEXT_KEY = "gorod.batch"

_CLAIM = (
    insert(db.inbox)
    .values(consumer_group=sa.bindparam("group"), event_id=sa.bindparam("event_id"))
    .on_conflict_do_nothing()
    .returning(db.inbox.c.event_id)
)


# The transaction's events in one statement, planned once per connection.
_ADD_OUTBOX = db.Prepared(
    "gorod_outbox_add", "INSERT INTO outbox (event_id, topic, key, envelope) SELECT * FROM unnest(:ids, :topics, :keys, :envelopes)",
    ids="uuid[]", topics="text[]", keys="text[]", envelopes="bytea[]")


class AlreadyProcessed(Exception):
    """This consumer group has already handled the event; nothing to do."""


class UnitOfWork:
    def __init__(self, engine: sa.Engine, producer: str, inbox: tuple[str, str] | None = None,
                 batch: Batch | None = None):
        self._engine = engine
        self.producer = producer
        self.inbox = inbox  # (consumer_group, event_id) when handling an event
        self._batch = batch
        self.connection: sa.Connection | None = None
        self._transaction = None
        self._outbox: list[dict] = []

    def __enter__(self) -> UnitOfWork:
        self._outbox = []
        if self._batch is not None:
            self.connection = self._batch.connection
            self._transaction = self._batch
        else:
            self.connection = self._engine.connect()
            self._transaction = self.connection.begin()
        if self.inbox:
            self._claim_inbox(*self.inbox)
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            if self._transaction is self._batch and self._batch is not None:
                self._batch.spoil_unless_committed(self)
            elif self._transaction is not None and self._transaction.is_active:
                self._transaction.rollback()
        finally:
            self._release()

    def _release(self) -> None:
        if self._batch is None and self.connection is not None:
            self.connection.close()
        self.connection = None
        self._transaction = None

    def _claim_inbox(self, group: str, event_id: str) -> None:
        # The primary key makes a concurrent duplicate wait for the first one's outcome.
        if self.connection.execute(_CLAIM, {"group": group, "event_id": event_id}).first() is None:
            if self._batch is None:
                self._transaction.rollback()
            else:
                self._batch.committed.add(self)  # nothing was written for it
            self._release()
            raise AlreadyProcessed(event_id)

    def publish(self, event_type: str, account: str, payload: message.Message, event_id: str | None = None) -> str:
        """Queue an event for the outbox; it is written by `commit()`, with the state change."""
        envelope = events.build_envelope(
            event_type, self.producer, account, payload,
            correlation_id=logs.get_correlation_id(), event_id=event_id,
        )
        self._outbox.append(
            {"event_id": envelope.event_id, "topic": event_type, "key": account,
             "envelope": envelope.SerializeToString()}
        )
        return envelope.event_id

    def commit(self) -> None:
        if self._outbox:
            rows = self._outbox
            _ADD_OUTBOX.execute(self.connection, {"ids": [r["event_id"] for r in rows], "topics": [r["topic"] for r in rows],
                                                  "keys": [r["key"] for r in rows], "envelopes": [r["envelope"] for r in rows]})
            self._outbox = []
        if self._batch is not None:
            self._batch.committed.add(self)
        else:
            self._transaction.commit()

    def rollback(self) -> None:
        self._outbox = []
        if self._batch is not None:
            self._batch.spoiled = True
        else:
            self._transaction.rollback()

    def ping(self) -> bool:
        """True when the database answers; used by the health check."""
        try:
            with self._engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except Exception:
            return False
        return True


class Batch:
    """One transaction shared by the handlers of several events (see the module doc)."""

    def __init__(self, engine: sa.Engine):
        self.connection = engine.connect()
        self._transaction = self.connection.begin()
        self.committed: set = set()   # units of work that committed their part
        self.spoiled = False          # a unit of work left uncommitted: the batch must roll back

    def spoil_unless_committed(self, uow) -> None:
        if uow not in self.committed:
            self.spoiled = True

    def commit(self) -> None:
        try:
            self._transaction.commit()
        finally:
            self.connection.close()

    def rollback(self) -> None:
        try:
            self._transaction.rollback()
        finally:
            self.connection.close()


class Database(DependencyProvider):
    """nameko dependency: a UnitOfWork per worker on the service's own database."""

    def setup(self):
        settings = self.container.config["GOROD"]
        self.engine = db.make_engine(
            settings.db_url, pool_size=settings.db_pool_size, application_name=f"gorod-{settings.service}"
        )
        self.producer = settings.service

    def stop(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        inbox = worker_ctx.data.get(INBOX_CONTEXT_KEY)
        return UnitOfWork(self.engine, self.producer, inbox=tuple(inbox) if inbox else None,
                          batch=worker_ctx.data.get(BATCH_CONTEXT_KEY))

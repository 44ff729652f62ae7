"""Unit of work: one transaction for the state change, its outbox rows and its inbox row.

    with self.uow as uow:
        storage.add_reading(uow.session, reading)
        uow.publish("meters.reading-submitted.v1", account, payload)
        uow.commit()

Leaving the block without `commit()` rolls everything back. For a worker started by a
Kafka consumer, entering the block claims the event in the inbox first; if this consumer
group already processed it, `AlreadyProcessed` is raised and the consumer treats the
record as done.
"""
from __future__ import annotations

from google.protobuf import message
from nameko.extensions import DependencyProvider
from sqlalchemy import orm, text
from sqlalchemy.dialects.postgresql import insert

from gorod_runtime import db, events, logs

INBOX_CONTEXT_KEY = "gorod.inbox"


class AlreadyProcessed(Exception):
    """This consumer group has already handled the event; nothing to do."""


class UnitOfWork:
    def __init__(self, session_factory: orm.sessionmaker, producer: str, inbox: tuple[str, str] | None = None):
        self._session_factory = session_factory
        self.producer = producer
        self.inbox = inbox  # (consumer_group, event_id) when handling an event
        self.session: orm.Session | None = None
        self._outbox: list[dict] = []

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        self._outbox = []
        if self.inbox:
            self._claim_inbox(*self.inbox)
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.session.rollback()  # no-op after commit; undoes anything uncommitted
        finally:
            self.session.close()
            self.session = None

    def _claim_inbox(self, group: str, event_id: str) -> None:
        # The primary key makes a concurrent duplicate wait for the first one's outcome.
        claimed = self.session.execute(
            insert(db.inbox).values(consumer_group=group, event_id=event_id)
            .on_conflict_do_nothing().returning(db.inbox.c.event_id)
        ).first()
        if claimed is None:
            self.session.rollback()
            self.session.close()
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

    def ping(self) -> bool:
        """True when the database answers; used by the health check."""
        try:
            with self._session_factory() as session:
                session.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def commit(self) -> None:
        if self._outbox:
            self.session.execute(db.outbox.insert(), self._outbox)
            self._outbox = []
        self.session.commit()

    def rollback(self) -> None:
        self._outbox = []
        self.session.rollback()


class Database(DependencyProvider):
    """nameko dependency: a UnitOfWork per worker on the service's own database."""

    def setup(self):
        settings = self.container.config["GOROD"]
        self.engine = db.make_engine(
            settings.db_url, pool_size=settings.db_pool_size, application_name=f"gorod-{settings.service}"
        )
        self.session_factory = orm.sessionmaker(bind=self.engine, expire_on_commit=False)
        self.producer = settings.service

    def stop(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        inbox = worker_ctx.data.get(INBOX_CONTEXT_KEY)
        return UnitOfWork(self.session_factory, self.producer, inbox=tuple(inbox) if inbox else None)

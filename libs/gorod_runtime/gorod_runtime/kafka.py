"""kafka-python clients configured the one way Gorod uses them."""
from __future__ import annotations

import contextlib

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from gorod_runtime.settings import KafkaSettings

# Every topic Gorod publishes; `make run` and tests create them, Strimzi KafkaTopics in production.
TOPICS = ("meters.reading-submitted.v1", "payments.payment-posted.v1", "accruals.receipt-issued.v1")
# One dead-letter topic per consumer group (`<group>.dlq`); production does not auto-create topics.
DEAD_LETTER_TOPICS = ("accruals.consumption.dlq", "accruals.payments.dlq")
DEFAULT_PARTITIONS = 8


def make_producer(settings: KafkaSettings, client_id: str = "gorod") -> KafkaProducer:
    """Idempotent producer, acks from all in-sync replicas: no loss, no duplicates from retries."""
    return KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        batch_size=256 * 1024,
        max_request_size=4 * 1024 * 1024,
        request_timeout_ms=15000,
    )


def make_consumer(settings: KafkaSettings, group: str, client_id: str = "gorod") -> KafkaConsumer:
    """Manual commits only: the consumer entrypoint commits after the handler's transaction.
    The caller subscribes (with its rebalance listener)."""
    return KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=2000,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        max_poll_interval_ms=settings.max_poll_interval_ms,
    )


def ensure_topics(bootstrap_servers: str, topics, partitions: int = DEFAULT_PARTITIONS) -> None:
    """Create the topics that do not exist yet."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="gorod-admin")
    try:
        existing = set(admin.list_topics())
        missing = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process made it first
                admin.create_topics(missing)
    finally:
        admin.close()

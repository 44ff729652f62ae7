"""Settings from environment variables, validated once at start-up.

Every bad value is reported in one line (``SettingsError``) so a process can exit with a
clear message instead of a traceback.
"""
from __future__ import annotations

import contextlib
import dataclasses
import zoneinfo

from environs import Env, EnvError
from marshmallow import ValidationError
from marshmallow.validate import OneOf, Range

# Default gRPC and metrics ports per service; Kubernetes sets them explicitly.
GRPC_PORTS = {"identity": 50051, "accruals": 50052, "meters": 50053, "payments": 50054, "notify": 50055}
METRICS_PORTS = {"identity": 9101, "accruals": 9102, "meters": 9103, "payments": 9104, "notify": 9105}
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/"


class SettingsError(Exception):
    """A setting is missing or has a bad value; the message names the variable."""


@dataclasses.dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str
    session_timeout_ms: int
    heartbeat_interval_ms: int
    max_poll_interval_ms: int
    consumer_max_attempts: int
    consumer_retry_backoff_ms: int
    consumer_batch_size: int
    inbox_retention_days: int
    group_prefix: str


@dataclasses.dataclass(frozen=True)
class RelaySettings:
    enabled: bool
    batch_size: int
    idle_poll_ms: int
    retention_days: int


@dataclasses.dataclass(frozen=True)
class ServiceSettings:
    service: str
    db_url: str
    db_pool_size: int
    grpc_host: str
    grpc_port: int
    metrics_port: int
    max_workers: int
    log_level: str
    tz: str
    kafka: KafkaSettings
    relay: RelaySettings


def database_url(service: str, env: Env) -> str:
    """The service's own database: GOROD_DB_URL, else the server GOROD_DATABASE_URL + gorod_<svc>."""
    own = env.str("GOROD_DB_URL", "")
    if own:
        return own
    server = env.str("GOROD_DATABASE_URL", DEFAULT_DATABASE_URL)
    return database_url_for(server, f"gorod_{service}")


def database_url_for(server_url: str, dbname: str) -> str:
    """Replace the database name in a server URL, keeping query parameters (e.g. ?host=/socket)."""
    base, _, query = server_url.partition("?")
    scheme, _, rest = base.partition("://")
    netloc = rest.split("/", 1)[0]
    return f"{scheme}://{netloc}/{dbname}" + (f"?{query}" if query else "")


def validate_tz(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {value!r}") from None


def load_kafka(env: Env | None = None) -> KafkaSettings:
    """Kafka settings; with no `env` given, read and validate them on their own."""
    if env is None:
        with read_env() as own:
            return load_kafka(own)
    positive = Range(min=1)
    return KafkaSettings(
        bootstrap_servers=env.str("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        session_timeout_ms=env.int("GOROD_KAFKA_SESSION_TIMEOUT_MS", 10000, validate=positive),
        heartbeat_interval_ms=env.int("GOROD_KAFKA_HEARTBEAT_INTERVAL_MS", 3000, validate=positive),
        max_poll_interval_ms=env.int("GOROD_KAFKA_MAX_POLL_INTERVAL_MS", 300000, validate=positive),
        consumer_max_attempts=env.int("GOROD_CONSUMER_MAX_ATTEMPTS", 5, validate=Range(min=1, max=1_000_000)),
        consumer_retry_backoff_ms=env.int("GOROD_CONSUMER_RETRY_BACKOFF_MS", 200, validate=Range(min=0)),
        consumer_batch_size=env.int("GOROD_CONSUMER_BATCH_SIZE", 100, validate=Range(min=1, max=10000)),
        inbox_retention_days=env.int("GOROD_INBOX_RETENTION_DAYS", 30, validate=Range(min=1)),
        # Lets several environments (or test databases) share one Kafka cluster.
        group_prefix=env.str("GOROD_KAFKA_GROUP_PREFIX", ""),
    )


def load(service: str) -> ServiceSettings:
    """Read and validate every setting of `service`; raise SettingsError naming each bad variable."""
    port = Range(min=1, max=65535)
    with read_env() as env:
        return ServiceSettings(
            service=service,
            db_url=database_url(service, env),
            db_pool_size=env.int("GOROD_DB_POOL_SIZE", 10, validate=Range(min=1, max=200)),
            grpc_host=env.str("GOROD_GRPC_HOST", "127.0.0.1"),
            grpc_port=env.int("GOROD_GRPC_PORT", GRPC_PORTS.get(service, 50050), validate=port),
            metrics_port=env.int("GOROD_METRICS_PORT", METRICS_PORTS.get(service, 9100), validate=Range(min=0, max=65535)),
            max_workers=env.int("GOROD_MAX_WORKERS", 50, validate=Range(min=1, max=10000)),
            log_level=env.str("GOROD_LOG_LEVEL", "INFO", validate=OneOf(["DEBUG", "INFO", "WARNING", "ERROR"])),
            tz=region_tz(env),
            kafka=load_kafka(env),
            relay=RelaySettings(
                enabled=env.bool("GOROD_RELAY_ENABLED", True),
                batch_size=env.int("GOROD_RELAY_BATCH_SIZE", 1000, validate=Range(min=1, max=100000)),
                idle_poll_ms=env.int("GOROD_RELAY_IDLE_POLL_MS", 50, validate=Range(min=1)),
                retention_days=env.int("GOROD_OUTBOX_RETENTION_DAYS", 7, validate=Range(min=1)),
            ),
        )


def region_tz(env: Env) -> str:
    """GOROD_TZ: the region's zone for business dates."""
    return env.str("GOROD_TZ", "Asia/Barnaul", validate=validate_tz)


@contextlib.contextmanager
def read_env():
    """An Env that collects every bad variable; leaving the block raises one SettingsError
    naming them all (so a process can exit with one line)."""
    env = Env(eager=False)
    try:
        yield env
        env.seal()
    except EnvError as exc:
        raise SettingsError(_one_line(exc)) from None


def _one_line(exc: EnvError) -> str:
    error_messages = getattr(exc, "error_messages", None)
    if isinstance(error_messages, dict) and error_messages:
        parts = [f"{name}: {' '.join(map(str, msgs))}" for name, msgs in error_messages.items()]
        return "bad settings: " + "; ".join(parts)
    return f"bad settings: {exc}"

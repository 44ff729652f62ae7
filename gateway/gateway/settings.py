"""Gateway settings from environment variables, validated once at start-up.

gunicorn.conf.py reads them too (bind address, workers, threads, log level), so a bad value
stops the gunicorn master with one line before any worker starts.
"""
from __future__ import annotations

import dataclasses
import sys

from marshmallow import ValidationError
from marshmallow.validate import Length, OneOf, Range

from gorod_runtime.settings import GRPC_PORTS, SettingsError, read_env

SERVICES = tuple(GRPC_PORTS)
LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]


@dataclasses.dataclass(frozen=True)
class GatewaySettings:
    host: str
    port: int
    workers: int
    threads: int
    log_level: str
    upstreams: dict[str, str]   # service -> host:port
    deadline_s: float           # every upstream call
    ready_deadline_s: float     # each health check behind /readyz
    # GOROD_GATEWAY_API_TOKEN: until identity issues tokens, the resident endpoints (meters) take
    # only `Authorization: Bearer <this>`; unset, they answer 401 to everyone.
    api_token: str = dataclasses.field(default="", repr=False)


def _token(value: str) -> None:
    # The message must never contain the value.
    if value and len(value) < 32:
        raise ValidationError("at least 32 characters (or unset: the resident endpoints are closed)")


def load() -> GatewaySettings:
    """Read and validate every gateway setting; raise SettingsError naming each bad variable."""
    with read_env() as env:
        return GatewaySettings(
            host=env.str("GOROD_GATEWAY_HOST", "127.0.0.1"),
            port=env.int("GOROD_GATEWAY_PORT", 8080, validate=Range(min=1, max=65535)),
            workers=env.int("GOROD_GATEWAY_WORKERS", 2, validate=Range(min=1, max=64)),
            threads=env.int("GOROD_GATEWAY_THREADS", 16, validate=Range(min=1, max=1000)),
            log_level=env.str("GOROD_LOG_LEVEL", "INFO", validate=OneOf(LOG_LEVELS)),
            upstreams={
                name: env.str(f"GOROD_{name.upper()}_ADDR", f"127.0.0.1:{port}", validate=Length(min=1))
                for name, port in GRPC_PORTS.items()
            },
            deadline_s=env.float("GOROD_GATEWAY_DEADLINE_S", 5.0, validate=Range(min=0.01, max=300)),
            ready_deadline_s=env.float("GOROD_GATEWAY_READY_DEADLINE_S", 1.0, validate=Range(min=0.01, max=60)),
            api_token=env.str("GOROD_GATEWAY_API_TOKEN", "", validate=_token),
        )


def load_or_exit(exit_code: int = 2) -> GatewaySettings:
    """load(), or end the process with one line on stderr naming each bad variable."""
    try:
        return load()
    except SettingsError as exc:
        print(f"gorod-gateway: {exc}", file=sys.stderr, flush=True)
        sys.exit(exit_code)

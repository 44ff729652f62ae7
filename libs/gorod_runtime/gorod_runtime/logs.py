"""JSON logs carrying the request/correlation id of the work in hand.

The id lives in a context variable: each green thread (nameko worker) and each request
thread has its own. Gateways set it from X-Request-ID, gRPC workers from the
``x-correlation-id`` metadata, consumers from the event envelope.
"""
from __future__ import annotations

import contextvars
import logging
import sys
import uuid

from pythonjsonlogger.json import JsonFormatter

CORRELATION_METADATA_KEY = "x-correlation-id"
_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")


def get_correlation_id() -> str:
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> str:
    """Set the id for the current context (a new one when `value` is empty) and return it."""
    value = value or uuid.uuid4().hex
    _correlation_id.set(value)
    return value


class _CorrelationFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _correlation_id.get()
        record.service = self.service
        return True


def configure(service: str, level: str = "INFO") -> None:
    """Send every log record to stderr as one JSON object per line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{service}{correlation_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_CorrelationFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Chatty libraries: their INFO lines are connection noise, not events.
    for name in ("kafka", "nameko_grpc", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # nameko warns about every green thread it kills at a normal stop.
    logging.getLogger("nameko").setLevel(max(logging.ERROR, logging.getLevelName(level)))

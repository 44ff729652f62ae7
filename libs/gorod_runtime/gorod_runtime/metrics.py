"""Prometheus metrics: every worker's duration and outcome, served on /metrics.

Labels carry entrypoint names only, never personal data.
"""
from __future__ import annotations

import time

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Histogram, start_http_server

WORKER_SECONDS = Histogram(
    "gorod_worker_seconds", "Time spent in one worker (gRPC call, event, timer)",
    ["service", "entrypoint", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_CONSUMED = Counter(
    "gorod_events_consumed_total", "Kafka records handled by consumer entrypoints",
    ["service", "group", "topic", "outcome"],
)
OUTBOX_PUBLISHED = Counter("gorod_outbox_published_total", "Outbox rows published to Kafka", ["service"])


class WorkerMetrics(DependencyProvider):
    def setup(self):
        self.service = self.container.service_name
        self._started: dict = {}

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        outcome = "ok" if exc_info is None else type(exc_info[1]).__name__
        WORKER_SECONDS.labels(self.service, worker_ctx.entrypoint.method_name, outcome).observe(
            time.perf_counter() - started
        )


def serve(port: int, host: str) -> None:
    """Expose /metrics on `port` (0 turns it off)."""
    if port:
        start_http_server(port, addr=host)

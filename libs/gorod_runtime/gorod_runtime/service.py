"""The base every Gorod nameko service extends: database, health, logs context, metrics."""
from __future__ import annotations

from grpc_health.v1 import health_pb2
from nameko.extensions import DependencyProvider

from gorod_runtime.grpc import Correlation, health
from gorod_runtime.metrics import WorkerMetrics
from gorod_runtime.uow import Database

LIVENESS = "liveness"


class Settings(DependencyProvider):
    """The service's validated ServiceSettings."""

    def get_dependency(self, worker_ctx):
        return self.container.config["GOROD"]


class ServiceOptions(DependencyProvider):
    """The service's own settings, from its `load_service_settings()` (validated at start)."""

    def get_dependency(self, worker_ctx):
        return self.container.config["SERVICE_OPTIONS"]


class GorodService:
    name = "gorod"
    # A service with settings of its own sets this to a function that reads and validates
    # them (raising SettingsError); `options = ServiceOptions()` then hands them to workers.
    load_service_settings = None

    settings = Settings()
    uow = Database()
    correlation = Correlation()
    worker_metrics = WorkerMetrics()

    @health
    def Check(self, request, context):
        """Readiness: SERVING while the database answers. The service name "liveness" asks
        only whether the process serves, so an outage of the database restarts nothing."""
        if request.service == LIVENESS or self.uow.ping():
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.NOT_SERVING)

"""gRPC clients of the services: one channel per upstream, a deadline on every call,
the request id carried as x-correlation-id metadata, and gRPC errors turned into
problem+json with the service's stable code."""
from __future__ import annotations

import logging
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from prometheus_client import Histogram

from gateway.problems import Problem
from gorod.accruals.v1 import accruals_pb2_grpc
from gorod.common.v1 import common_pb2
from gorod.identity.v1 import identity_pb2_grpc
from gorod.meters.v1 import meters_pb2_grpc
from gorod.notify.v1 import notify_pb2_grpc
from gorod.payments.v1 import payments_pb2_grpc
from gorod_runtime import logs

_STUBS = {
    "identity": identity_pb2_grpc.IdentityServiceStub,
    "accruals": accruals_pb2_grpc.AccrualsServiceStub,
    "meters": meters_pb2_grpc.MetersServiceStub,
    "payments": payments_pb2_grpc.PaymentsServiceStub,
    "notify": notify_pb2_grpc.NotifyServiceStub,
}

# gRPC status -> HTTP status. A code missing here is the service's fault: 502.
_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNAVAILABLE: 503,
}

UPSTREAM_SECONDS = Histogram(
    "gorod_gateway_upstream_seconds", "gRPC calls to the services by service, method and gRPC status",
    ["service", "method", "code"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
log = logging.getLogger("gateway.upstreams")


class Upstreams:
    def __init__(self, addresses: dict[str, str], deadline_s: float):
        self.addresses = addresses
        self.deadline_s = deadline_s
        options = [("grpc.keepalive_time_ms", 30000), ("grpc.max_receive_message_length", 16 * 1024 * 1024)]
        self.channels = {name: grpc.insecure_channel(addr, options=options) for name, addr in addresses.items()}
        self.stubs = {name: _STUBS[name](channel) for name, channel in self.channels.items()}

    def call(self, service: str, method: str, request, deadline_s: float | None = None):
        """Call `service.method(request)` with a deadline; raise Problem on any error."""
        rpc = getattr(self.stubs[service], method)
        metadata = ((logs.CORRELATION_METADATA_KEY, logs.get_correlation_id()),)
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            return rpc(request, timeout=deadline_s or self.deadline_s, metadata=metadata)
        except grpc.RpcError as error:
            code = error.code()
            raise problem_from_rpc_error(service, method, error) from None
        finally:
            UPSTREAM_SECONDS.labels(service, method, code.name).observe(time.perf_counter() - started)

    def health(self, service: str, deadline_s: float) -> str:
        """SERVING, NOT_SERVING or the gRPC error name when the service does not answer."""
        stub = health_pb2_grpc.HealthStub(self.channels[service])
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(), timeout=deadline_s)
        except grpc.RpcError as error:
            return error.code().name
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()


def problem_from_rpc_error(service: str, method: str, error: grpc.RpcError) -> Problem:
    """The service's own code when it sent a gorod.common.v1.ErrorDetail, else a gateway code."""
    code = error.code()
    status = _HTTP_STATUS.get(code, 502)
    detail = _error_detail(error)
    if detail is not None:
        return Problem(status, detail.code, detail.message, field=detail.field)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        log.warning("%s.%s: deadline exceeded", service, method)
        return Problem(504, "upstream.timeout", f"the {service} service did not answer in time")
    if code == grpc.StatusCode.UNAVAILABLE:
        log.warning("%s.%s: unavailable: %s", service, method, error.details())
        return Problem(503, "upstream.unavailable", f"the {service} service is unavailable")
    log.error("%s.%s failed: %s %s", service, method, code.name, error.details())
    return Problem(502, "upstream.error", f"the {service} service failed")


def _error_detail(error: grpc.RpcError) -> common_pb2.ErrorDetail | None:
    try:
        status = rpc_status.from_call(error)
    except (AttributeError, ValueError):  # not a call, or details that contradict the status
        return None
    for packed in status.details if status else ():
        detail = common_pb2.ErrorDetail()
        if packed.Unpack(detail):
            return detail
    return None

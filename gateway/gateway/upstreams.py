"""gRPC clients of the services: one channel per upstream, a deadline on every call,
the request id carried as x-correlation-id metadata, and gRPC errors turned into
problem+json with the service's stable code."""
from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from gorod.accruals.v1 import accruals_pb2_grpc
from gorod.common.v1 import common_pb2
from gorod.identity.v1 import identity_pb2_grpc
from gorod.meters.v1 import meters_pb2_grpc
from gorod.notify.v1 import notify_pb2_grpc
from gorod.payments.v1 import payments_pb2_grpc
from gorod_runtime import logs

from gateway.problems import Problem

_STUBS = {
    "identity": identity_pb2_grpc.IdentityServiceStub,
    "accruals": accruals_pb2_grpc.AccrualsServiceStub,
    "meters": meters_pb2_grpc.MetersServiceStub,
    "payments": payments_pb2_grpc.PaymentsServiceStub,
    "notify": notify_pb2_grpc.NotifyServiceStub,
}

# gRPC status -> HTTP status for errors a client can act on.
_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNAVAILABLE: 503,
}


class Upstreams:
    def __init__(self, addresses: dict[str, str], deadline_s: float):
        self.deadline_s = deadline_s
        options = [("grpc.keepalive_time_ms", 30000), ("grpc.max_receive_message_length", 16 * 1024 * 1024)]
        self.channels = {name: grpc.insecure_channel(addr, options=options) for name, addr in addresses.items()}
        self.addresses = addresses

    def stub(self, service: str):
        return _STUBS[service](self.channels[service])

    def call(self, service: str, method: str, request, deadline_s: float | None = None):
        """Call `service.method(request)` with a deadline; raise Problem on any error."""
        rpc = getattr(self.stub(service), method)
        metadata = ((logs.CORRELATION_METADATA_KEY, logs.get_correlation_id()),)
        try:
            return rpc(request, timeout=deadline_s or self.deadline_s, metadata=metadata)
        except grpc.RpcError as error:
            raise problem_from_rpc_error(service, error) from None

    def health(self, service: str, deadline_s: float) -> str:
        """SERVING, NOT_SERVING or the gRPC error name when the service does not answer."""
        stub = health_pb2_grpc.HealthStub(self.channels[service])
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(), timeout=deadline_s)
        except grpc.RpcError as error:
            return error.code().name
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)

    def close(self):
        for channel in self.channels.values():
            channel.close()


def problem_from_rpc_error(service: str, error: grpc.RpcError) -> Problem:
    code = error.code()
    status = rpc_status.from_call(error)
    if status is not None:
        for detail in status.details:
            info = common_pb2.ErrorDetail()
            if detail.Unpack(info):
                return Problem(_HTTP_STATUS.get(code, 400), info.code, info.message, field=info.field)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return Problem(_HTTP_STATUS[code], "upstream.unavailable", f"the {service} service did not answer in time")
    return Problem(502, "upstream.error", f"the {service} service failed")

"""The meters nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from gorod.meters.v1 import meters_pb2_grpc
from gorod_runtime.grpc import Grpc
from gorod_runtime.outbox import OutboxRelayRunner
from gorod_runtime.service import GorodService
from meters import grpc_api, handlers

grpc = Grpc.implementing(meters_pb2_grpc.MetersServiceStub)


class MetersService(GorodService):
    name = "meters"

    outbox_relay = OutboxRelayRunner()

    @grpc
    def SubmitReadings(self, request, context):
        accepted = handlers.submit_readings(
            self.uow, request.account, grpc_api.readings_from_request(request), request.source or "cabinet",
            tz=self.settings.tz,
        )
        return grpc_api.submit_response(accepted)

"""The accruals nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from accruals import grpc_api, handlers
from gorod.accruals.v1 import accruals_pb2_grpc
from gorod_runtime.consumer import consume
from gorod_runtime.events import Event
from gorod_runtime.grpc import Grpc
from gorod_runtime.outbox import OutboxRelayRunner
from gorod_runtime.service import GorodService

grpc = Grpc.implementing(accruals_pb2_grpc.AccrualsServiceStub)


class AccrualsService(GorodService):
    name = "accruals"

    outbox_relay = OutboxRelayRunner()

    @grpc
    def GetConsumption(self, request, context):
        return grpc_api.consumption_response(handlers.consumption_of(self.uow, grpc_api.accounts_from(request)))

    @consume("meters.reading-submitted.v1", group="accruals.consumption")
    def on_reading_submitted(self, event: Event):
        handlers.record_reading(self.uow, event.payload)

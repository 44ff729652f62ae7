"""The payments nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from gorod.payments.v1 import payments_pb2, payments_pb2_grpc
from gorod_runtime.grpc import Grpc
from gorod_runtime.service import GorodService

grpc = Grpc.implementing(payments_pb2_grpc.PaymentsServiceStub)


class PaymentsService(GorodService):
    name = "payments"

    @grpc
    def Describe(self, request, context):
        return payments_pb2.DescribeResponse(service=self.name, version="0.1.0")

"""The notify nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from gorod.notify.v1 import notify_pb2, notify_pb2_grpc
from gorod_runtime.grpc import Grpc
from gorod_runtime.service import GorodService

grpc = Grpc.implementing(notify_pb2_grpc.NotifyServiceStub)


class NotifyService(GorodService):
    name = "notify"

    @grpc
    def Describe(self, request, context):
        return notify_pb2.DescribeResponse(service=self.name, version="0.1.0")

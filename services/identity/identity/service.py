"""The identity nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from gorod.identity.v1 import identity_pb2, identity_pb2_grpc
from gorod_runtime.grpc import Grpc
from gorod_runtime.service import GorodService

grpc = Grpc.implementing(identity_pb2_grpc.IdentityServiceStub)


class IdentityService(GorodService):
    name = "identity"

    @grpc
    def Describe(self, request, context):
        return identity_pb2.DescribeResponse(service=self.name, version="0.1.0")

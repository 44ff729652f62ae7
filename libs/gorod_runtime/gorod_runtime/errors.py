"""Errors a use case raises on purpose; entrypoints map them to gRPC statuses and the
gateway maps those to problem+json with the same stable code."""
from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. `code` is stable (clients switch on it)."""

    grpc_status = "INVALID_ARGUMENT"

    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    grpc_status = "NOT_FOUND"


class Conflict(DomainError):
    grpc_status = "FAILED_PRECONDITION"


class PermissionDenied(DomainError):
    grpc_status = "PERMISSION_DENIED"

"""Proto <-> domain mapping of the receipt-code calls."""
from __future__ import annotations

from accruals.domain.receipt_codes import Period
from gorod.accruals.v1 import accruals_pb2
from gorod_runtime.errors import DomainError


def verify_response(valid: bool) -> accruals_pb2.VerifyReceiptCodeResponse:
    return accruals_pb2.VerifyReceiptCodeResponse(valid=bool(valid))


def period_from(request) -> Period | None:
    """GetReceiptCodeRequest.period; unset (or all zero) means the current period (None)."""
    if not request.HasField("period") or (request.period.year == 0 and request.period.month == 0):
        return None
    try:
        return Period(request.period.year, request.period.month)
    except ValueError:
        raise DomainError("period.invalid", f"not a period: {request.period.year}-{request.period.month}", "period") from None


def code_response(code: str) -> accruals_pb2.GetReceiptCodeResponse:
    return accruals_pb2.GetReceiptCodeResponse(code=code)


def rotate_response() -> accruals_pb2.RotateReceiptCodeResponse:
    return accruals_pb2.RotateReceiptCodeResponse()

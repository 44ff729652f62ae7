"""Proto <-> domain mapping for corrections and reversals."""
from __future__ import annotations

from accruals.domain import ledger as domain
from gorod.accruals.v1 import accruals_pb2


def correction_command(request: accruals_pb2.PostCorrectionRequest, tz: str) -> domain.CorrectionCommand:
    return domain.correction(
        account=request.account, recipient_inn=request.recipient_inn, amount=request.kopecks, reason=request.reason,
        operator=request.operator, idempotency_key=request.idempotency_key, service_code=request.service_code,
        date=request.date, today=domain.today(tz),
    )


def correction_response(result: domain.CorrectionResult) -> accruals_pb2.PostCorrectionResponse:
    return accruals_pb2.PostCorrectionResponse(entry_id=result.entry_id)


def reversal_command(request: accruals_pb2.ReverseEntryRequest, tz: str) -> domain.ReversalCommand:
    return domain.reversal(request.entry_id, request.reason, request.operator, domain.today(tz))


def reversal_response(result: domain.ReversalResult) -> accruals_pb2.ReverseEntryResponse:
    return accruals_pb2.ReverseEntryResponse(entry_id=result.entry_id)

"""Proto <-> domain mapping for the accruals gRPC API."""
from __future__ import annotations

from accruals.domain import consumption as domain
from gorod.accruals.v1 import accruals_pb2
from gorod_runtime.errors import DomainError

MAX_ACCOUNTS_PER_CALL = 1000


def accounts_from(request) -> list[str]:
    accounts = list(request.accounts)
    if not accounts:
        raise DomainError("accounts.required", "at least one account is required", "accounts")
    if len(accounts) > MAX_ACCOUNTS_PER_CALL:
        raise DomainError("accounts.too_many", f"at most {MAX_ACCOUNTS_PER_CALL} accounts per call", "accounts")
    return accounts


def consumption_response(records: list[domain.ConsumptionRecord]) -> accruals_pb2.GetConsumptionResponse:
    response = accruals_pb2.GetConsumptionResponse()
    for r in records:
        item = response.records.add(
            account=r.account, meter_id=r.meter_id, service=r.service, zone=r.zone, value=str(r.value),
            consumption="" if r.consumption is None else str(r.consumption), reading_id=r.reading_id,
        )
        item.period.year, item.period.month = r.period.year, r.period.month
    return response

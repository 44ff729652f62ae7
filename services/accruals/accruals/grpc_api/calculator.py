"""Proto <-> domain mapping of Calculate: the scenario and the result travel as JSON text."""
from __future__ import annotations

from gorod.accruals.v1 import accruals_pb2


def scenario_from(request) -> str:
    return request.scenario_json


def result_response(result_json: str) -> accruals_pb2.CalculateResponse:
    return accruals_pb2.CalculateResponse(result_json=result_json)

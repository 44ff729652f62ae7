"""Calculate against a real accruals process: a valid scenario, an invalid one, one over the size cap."""
import json
from pathlib import Path

import grpc
import pytest
from google.rpc import status_pb2

from accruals import calculator
from gorod.accruals.v1 import accruals_pb2, accruals_pb2_grpc
from gorod.common.v1 import common_pb2

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


@pytest.fixture(scope="module")
def stub(make_database_module, start_service_module):
    process = start_service_module("accruals.service:AccrualsService", make_database_module("accruals"))
    with grpc.insecure_channel(process.address, options=[("grpc.max_send_message_length", 4 * 1024 * 1024)]) as channel:
        yield accruals_pb2_grpc.AccrualsServiceStub(channel)


def detail_of(error: grpc.RpcError) -> common_pb2.ErrorDetail:
    status = status_pb2.Status.FromString(dict(error.trailing_metadata())["grpc-status-details-bin"])
    detail = common_pb2.ErrorDetail()
    status.details[0].Unpack(detail)
    return detail


def test_a_valid_scenario_gives_the_library_result(stub):
    text = (SCENARIOS / "e-29-discount.json").read_text(encoding="utf-8")
    response = stub.Calculate(accruals_pb2.CalculateRequest(scenario_json=text), timeout=10)
    assert response.result_json == calculator.calculate_text(text)
    assert json.loads(response.result_json)["totals"]["to_pay_kopecks"] == 88920


def test_an_invalid_scenario_is_invalid_argument_naming_the_problem(stub):
    document = json.loads((SCENARIOS / "e-01.json").read_text(encoding="utf-8"))
    document["meters"][0]["readings"][1]["value"] = "128,579"
    with pytest.raises(grpc.RpcError) as caught:
        stub.Calculate(accruals_pb2.CalculateRequest(scenario_json=json.dumps(document)), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    detail = detail_of(caught.value)
    assert (detail.code, detail.field) == ("scenario.invalid", "$.meters[0].readings[1].value")
    assert "[scenario.bad_decimal]" in detail.message and "[scenario.bad_decimal]" in caught.value.details()


def test_a_scenario_over_the_cap_is_refused(stub):
    text = json.dumps({"format": "gorod.accruals.scenario/1", "description": "x" * (calculator.MAX_DOCUMENT_BYTES + 1)})
    with pytest.raises(grpc.RpcError) as caught:
        stub.Calculate(accruals_pb2.CalculateRequest(scenario_json=text), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (detail_of(caught.value).code, detail_of(caught.value).field) == ("scenario.too_large", "scenario_json")

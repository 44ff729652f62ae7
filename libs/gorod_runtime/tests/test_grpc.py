"""The kit's gRPC entrypoint over a real socket: health, errors, deadlines, metadata, metrics."""
import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from gorod.common.v1 import common_pb2
from gorod.identity.v1 import identity_pb2, identity_pb2_grpc
from gorod.meters.v1 import meters_pb2, meters_pb2_grpc


@pytest.fixture(scope="module")
def meters(make_database_module, start_service_module):
    # One meters process for the module: these tests only read or are refused.
    return start_service_module("meters.service:MetersService", make_database_module("meters"))


@pytest.fixture
def channel(meters):
    with grpc.insecure_channel(meters.address) as ch:
        yield ch


def test_health_reports_serving(channel):
    response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_a_refused_request_is_invalid_argument_with_a_stable_code(channel):
    stub = meters_pb2_grpc.MetersServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.SubmitReadings(meters_pb2.SubmitReadingsRequest(
            account="100000001", source="cabinet", readings=[meters_pb2.ReadingInput(meter_id="1", value="-5")]), timeout=2)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    detail = common_pb2.ErrorDetail()
    assert status.details[0].Unpack(detail)
    assert (detail.code, detail.field) == ("reading.invalid_value", "readings[0].value")


def test_an_unknown_method_is_unimplemented(channel):
    stub = identity_pb2_grpc.IdentityServiceStub(channel)  # identity's API asked of meters
    with pytest.raises(grpc.RpcError) as caught:
        stub.Describe(identity_pb2.DescribeRequest(), timeout=2)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_many_calls_on_one_connection_and_in_parallel(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    futures = [stub.Check.future(health_pb2.HealthCheckRequest(), timeout=5) for _ in range(200)]
    assert {f.result().status for f in futures} == {health_pb2.HealthCheckResponse.SERVING}


def test_a_deadline_shorter_than_the_call_is_exceeded(channel):
    stub = meters_pb2_grpc.MetersServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.SubmitReadings(meters_pb2.SubmitReadingsRequest(
            account="100000001", source="cabinet", readings=[meters_pb2.ReadingInput(meter_id="1", value="1")]), timeout=0.0005)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_worker_metrics_are_exposed(channel, meters):
    health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    with urllib.request.urlopen(f"http://127.0.0.1:{meters.metrics_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'gorod_worker_seconds_count{entrypoint="Check",outcome="ok",service="meters"}' in text


def test_liveness_does_not_depend_on_the_database(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    assert stub.Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=2).status == health_pb2.HealthCheckResponse.SERVING


def test_more_parallel_calls_than_workers_all_complete(make_database, start_service):
    service = start_service("identity.service:IdentityService", make_database("identity"), GOROD_MAX_WORKERS="2")
    with grpc.insecure_channel(service.address) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        futures = [stub.Check.future(health_pb2.HealthCheckRequest(), timeout=10) for _ in range(100)]
        assert {f.result().status for f in futures} == {health_pb2.HealthCheckResponse.SERVING}

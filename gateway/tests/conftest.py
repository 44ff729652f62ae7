"""Real gRPC servers on 127.0.0.1 (grpc.health.v1 and a MetersService) and gateway apps wired to them.

HTTP goes through Flask's test client here; test_gunicorn.py runs the real server.
"""
from __future__ import annotations

import time
from concurrent import futures

import flask
import grpc
import pytest
from flask_smorest import Blueprint
from google.protobuf import any_pb2
from google.rpc import code_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from marshmallow import Schema, fields

from gateway.app import create_app
from gateway.settings import SERVICES, GatewaySettings
from gateway.upstreams import Upstreams
from gorod.common.v1 import common_pb2
from gorod.meters.v1 import meters_pb2, meters_pb2_grpc
from gorod_runtime.devinfra import free_port


def start_server(*register) -> tuple[grpc.Server, str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    for add in register:
        add(server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"


def health_servicer(status: int) -> health.HealthServicer:
    servicer = health.HealthServicer()
    servicer.set("", status)
    return servicer


class Meters(meters_pb2_grpc.MetersServiceServicer):
    """SubmitReadings answers by account: "invalid" is refused with an ErrorDetail, "slow"
    outlives any deadline, "broken" fails without detail; anything else is accepted."""

    def __init__(self):
        self.metadata: list[dict[str, str]] = []

    def SubmitReadings(self, request, context):
        self.metadata.append(dict(context.invocation_metadata()))
        if request.account == "invalid":
            detail = any_pb2.Any()
            detail.Pack(common_pb2.ErrorDetail(
                code="reading.invalid_value", field="readings[0].value", message="the value is not a number",
            ))
            context.abort_with_status(rpc_status.to_status(status_pb2.Status(
                code=code_pb2.INVALID_ARGUMENT, message="the value is not a number", details=[detail],
            )))
        if request.account == "slow":
            while context.is_active():  # until the caller's deadline passes
                time.sleep(0.01)
            return meters_pb2.SubmitReadingsResponse()
        if request.account == "broken":
            context.abort(grpc.StatusCode.INTERNAL, "internal error")
        return meters_pb2.SubmitReadingsResponse(submission_id="sub-1")


@pytest.fixture(scope="session")
def serving():
    server, address = start_server(lambda s: health_pb2_grpc.add_HealthServicer_to_server(
        health_servicer(health_pb2.HealthCheckResponse.SERVING), s))
    yield address
    server.stop(None)


@pytest.fixture(scope="session")
def not_serving():
    server, address = start_server(lambda s: health_pb2_grpc.add_HealthServicer_to_server(
        health_servicer(health_pb2.HealthCheckResponse.NOT_SERVING), s))
    yield address
    server.stop(None)


@pytest.fixture(scope="session")
def meters():
    """(servicer, address) of a MetersService that also reports SERVING."""
    servicer = Meters()
    server, address = start_server(
        lambda s: meters_pb2_grpc.add_MetersServiceServicer_to_server(servicer, s),
        lambda s: health_pb2_grpc.add_HealthServicer_to_server(
            health_servicer(health_pb2.HealthCheckResponse.SERVING), s),
    )
    yield servicer, address
    server.stop(None)


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture
def nowhere() -> str:
    """An address where nothing listens."""
    return f"127.0.0.1:{free_port()}"


def settings_for(addresses: dict[str, str], deadline_s: float = 2.0) -> GatewaySettings:
    return GatewaySettings(
        host="127.0.0.1", port=8080, workers=1, threads=1, log_level="INFO",
        upstreams=addresses, deadline_s=deadline_s, ready_deadline_s=1.0,
    )


class ReadingsSchema(Schema):
    account = fields.String(required=True)


# Only in the test app: production has no route calling SubmitReadings yet.
test_blp = Blueprint("test_only", __name__)


@test_blp.route("/test/readings", methods=["POST"])
@test_blp.arguments(ReadingsSchema)
def submit_readings(args):
    request = meters_pb2.SubmitReadingsRequest(account=args["account"], source="cabinet")
    response = flask.current_app.extensions["gorod.upstreams"].call("meters", "SubmitReadings", request)
    return {"submission_id": response.submission_id}


@test_blp.route("/test/boom")
def boom():
    raise RuntimeError("secret cause")


@pytest.fixture
def make_client():
    """make_client(addresses, deadline_s=...) -> a test client of a gateway wired to those upstreams."""
    made = []

    def make(addresses: dict[str, str], deadline_s: float = 2.0):
        settings = settings_for(addresses, deadline_s)
        upstreams = Upstreams(settings.upstreams, settings.deadline_s)
        made.append(upstreams)
        app = create_app(settings, upstreams)
        app.register_blueprint(test_blp)
        return app.test_client()

    yield make
    for upstreams in made:
        upstreams.close()


@pytest.fixture
def all_serving(serving, meters):
    """Every service's address: meters is the MetersService above, the others a SERVING health server."""
    return {name: meters[1] if name == "meters" else serving for name in SERVICES}


@pytest.fixture
def client(make_client, all_serving):
    return make_client(all_serving)


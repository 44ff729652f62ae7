"""The resident meters endpoints against a real meters process (real PostgreSQL, gRPC over a socket)."""
from __future__ import annotations

import uuid

import grpc
import pytest

from gateway.app import create_app
from gateway.settings import SERVICES, GatewaySettings
from gateway.upstreams import Upstreams
from gorod.meters.v1 import meters_pb2, meters_pb2_grpc

TOKEN = "test-token-0123456789-0123456789-abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def meters_address(make_database_module, start_service_module):
    return start_service_module("meters.service:MetersService", make_database_module("meters")).address


@pytest.fixture(scope="module")
def client(meters_address):
    settings = GatewaySettings(host="127.0.0.1", port=8080, workers=1, threads=1, log_level="INFO",
                               upstreams={name: meters_address for name in SERVICES}, deadline_s=5.0,
                               ready_deadline_s=1.0, api_token=TOKEN)
    upstreams = Upstreams(settings.upstreams, settings.deadline_s)
    yield create_app(settings, upstreams).test_client()
    upstreams.close()


@pytest.fixture
def account(meters_address):
    """A fresh account with a cold-water meter and a two-zone electricity meter: (account, cold id, power id)."""
    number = f"5{uuid.uuid4().int % 10**9:09d}"
    with grpc.insecure_channel(meters_address) as channel:
        stub = meters_pb2_grpc.MetersServiceStub(channel)
        ids = [stub.RegisterMeter(meters_pb2.RegisterMeterRequest(meter=meters_pb2.Meter(
            account=number, service=service, serial=f"S-{service}", zones=zones, unit=unit, digits=6, decimals=decimals,
        )), timeout=5).meter_id for service, zones, unit, decimals in (("cold_water", 1, "m3", 3), ("electricity", 2, "kWh", 0))]
    return number, *ids


def post(client, account, readings, key="k-1", headers=AUTH):
    return client.post(f"/api/v1/accounts/{account}/readings", json={"readings": readings},
                       headers={**headers, **({"Idempotency-Key": key} if key else {})})


def test_submit_list_and_history(client, account):
    number, cold, power = account
    response = post(client, number, [{"meter_id": cold, "value": "12,5"}, {"meter_id": power, "value": "100", "zone": "day"},
                                     {"meter_id": power, "value": "50", "zone": "night"}])
    assert response.status_code == 201, response.get_json()
    assert response.headers["Idempotent-Replayed"] == "false"
    ack = response.get_json()
    assert [(r["meter_id"], r["zone"], r["value"]) for r in ack["readings"]] == [
        (cold, "", "12.500"), (power, "day", "100"), (power, "night", "50")]
    assert ack["readings"][0]["period"] and ack["submission_id"] and ack["accepted_at"].endswith("Z")

    again = post(client, number, [{"meter_id": cold, "value": "12,5"}, {"meter_id": power, "value": "100", "zone": "day"},
                                  {"meter_id": power, "value": "50", "zone": "night"}])
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == ack

    listed = client.get(f"/api/v1/accounts/{number}/meters", headers=AUTH).get_json()
    by_id = {m["meter_id"]: m for m in listed["meters"]}
    assert by_id[power]["zones"] == ["day", "night"] and by_id[cold]["accepts_readings"]
    assert by_id[cold]["last_readings"][0]["value"] == "12.500"

    history = client.get(f"/api/v1/accounts/{number}/meters/{cold}/history", headers=AUTH).get_json()
    assert [(r["value"], r["counts"]) for r in history["readings"]] == [("12.500", True)]


def test_errors_are_problems_with_stable_codes_and_russian_detail(client, account):
    number, cold, power = account
    response = post(client, number, [{"meter_id": power, "value": "100", "zone": "day"}])
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert (body["code"], body["field"]) == ("reading.zones_incomplete", "readings[0].zone")
    assert "всех зон" in body["detail"]

    assert post(client, number, [{"meter_id": cold, "value": "1"}], key="").status_code == 428
    assert post(client, number, [{"meter_id": cold, "value": "1"}], headers={}).get_json()["code"] == "request.unauthenticated"
    other = client.get("/api/v1/accounts/123456789/meters/" + cold + "/history", headers=AUTH)
    assert (other.status_code, other.get_json()["code"]) == (404, "meter.not_found")   # another account's meter
    assert client.get(f"/api/v1/accounts/{number}/meters", headers={"Authorization": "Bearer wrong"}).status_code == 401

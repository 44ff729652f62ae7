"""A meters process for a test module, and helpers to register meters and submit readings."""
from __future__ import annotations

import itertools
import uuid

import grpc
import pytest

from gorod.meters.v1 import meters_pb2, meters_pb2_grpc

SERVICE = "meters.service:MetersService"
_accounts = itertools.count(1)


@pytest.fixture(scope="module")
def meters_db(make_database_module):
    return make_database_module("meters")


@pytest.fixture(scope="module")
def meters_service(meters_db, start_service_module):
    return start_service_module(SERVICE, meters_db)


@pytest.fixture(scope="module")
def stub(meters_service):
    with grpc.insecure_channel(meters_service.address) as channel:
        yield meters_pb2_grpc.MetersServiceStub(channel)


@pytest.fixture
def account():
    """A fresh account number for each test (6–12 digits)."""
    return f"7{uuid.uuid4().int % 10**8:08d}{next(_accounts) % 10}"


def register(stub, account, service="cold_water", serial=None, zones=1, unit=None, digits=5, decimals=3, **extra):
    unit = unit or {"electricity": "kWh", "heat": "Gcal"}.get(service, "m3")
    meter = meters_pb2.Meter(account=account, service=service, serial=serial or uuid.uuid4().hex[:10], zones=zones,
                             unit=unit, digits=digits, decimals=decimals, **extra)
    return stub.RegisterMeter(meters_pb2.RegisterMeterRequest(meter=meter, operator="test"), timeout=5).meter_id


def submit(stub, account, *readings, key="", source="cabinet"):
    """readings: (meter_id, value) or (meter_id, value, zone) or (meter_id, value, zone, confirmed)."""
    inputs = [meters_pb2.ReadingInput(meter_id=r[0], value=r[1], zone=r[2] if len(r) > 2 else "",
                                      confirmed=r[3] if len(r) > 3 else False) for r in readings]
    return stub.SubmitReadings(meters_pb2.SubmitReadingsRequest(account=account, readings=inputs, source=source,
                                                                idempotency_key=key), timeout=10)


def error_code(error: grpc.RpcError) -> tuple[grpc.StatusCode, str, str]:
    from grpc_status import rpc_status

    from gorod.common.v1 import common_pb2

    status = rpc_status.from_call(error)
    detail = common_pb2.ErrorDetail()
    status.details[0].Unpack(detail)
    return error.code(), detail.code, detail.field


@pytest.fixture
def helpers():
    return type("Helpers", (), {"register": staticmethod(register), "submit": staticmethod(submit),
                                "error_code": staticmethod(error_code)})

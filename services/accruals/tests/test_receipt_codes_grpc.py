"""Receipt codes against a real accruals process over gRPC, on a fresh migrated database."""
from __future__ import annotations

import datetime as dt

import grpc
import pytest
import sqlalchemy as sa

from accruals.domain import receipt_codes as domain
from gorod.accruals.v1 import accruals_pb2, accruals_pb2_grpc
from gorod.common.v1 import common_pb2
from gorod_runtime import db

# The secret the kit's test environment gives every service (gorod_runtime.testing.service_env).
TEST_SECRET = b"gorod-test-receipt-code-secret-0123456789"
ACCOUNT = "222000001"
OTHER = "222000002"
SERVICE = "accruals.service:AccrualsService"


def insert_accounts(url: str, *numbers: str) -> None:
    engine = db.make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            org = conn.execute(sa.text(
                "INSERT INTO organisations (inn, kpp, name, kind) VALUES ('2221000001', '222101001', "
                "'ООО \"УК Тестовая\"', 'management_company') RETURNING id")).scalar_one()
            house = conn.execute(sa.text(
                "INSERT INTO houses (code, address, management_company_id) "
                "VALUES ('h-1', 'г. Барнаул, ул. Попова, д. 1', :org) RETURNING id"), {"org": org}).scalar_one()
            for flat, number in enumerate(numbers, start=1):
                premise = conn.execute(sa.text(
                    "INSERT INTO premises (house_id, number, rooms) VALUES (:house, :flat, 2) RETURNING id"),
                    {"house": house, "flat": str(flat)}).scalar_one()
                conn.execute(sa.text(
                    "INSERT INTO accounts (number, premise_id, total_area, heated_area, residents, registered, owner_name, opened_on) "
                    "VALUES (:number, :premise, 54.3, 54.3, 2, 2, 'Иванова А. П.', '2020-01-01')"),
                    {"number": number, "premise": premise})
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def accruals(make_database_module, start_service_module):
    url = make_database_module("accruals")
    insert_accounts(url, ACCOUNT, OTHER)
    service = start_service_module(SERVICE, url)
    with grpc.insecure_channel(service.address) as channel:
        yield accruals_pb2_grpc.AccrualsServiceStub(channel)


def current_period() -> domain.Period:
    return domain.Period.of(dt.datetime.now(dt.UTC), "Asia/Barnaul")


def get_code(stub, account, period=None) -> str:
    request = accruals_pb2.GetReceiptCodeRequest(account=account)
    if period is not None:
        request.period.CopyFrom(common_pb2.Period(year=period.year, month=period.month))
    return stub.GetReceiptCode(request, timeout=5).code


def verify(stub, account, code) -> bool:
    return stub.VerifyReceiptCode(accruals_pb2.VerifyReceiptCodeRequest(account=account, code=code), timeout=5).valid


def test_get_receipt_code_is_the_derived_code_of_the_current_period(accruals):
    code = get_code(accruals, ACCOUNT)
    assert code == domain.code(TEST_SECRET, ACCOUNT, current_period(), 0)
    previous = domain.previous(current_period())
    assert get_code(accruals, ACCOUNT, previous) == domain.code(TEST_SECRET, ACCOUNT, previous, 0)


def test_verify_answers_yes_or_no_and_nothing_else(accruals):
    code = get_code(accruals, OTHER)
    assert verify(accruals, OTHER, code) is True
    assert verify(accruals, OTHER, f"{code[:3]} {code[3:]}") is True
    assert verify(accruals, OTHER, get_code(accruals, OTHER, domain.previous(current_period()))) is True
    assert verify(accruals, OTHER, f"{(int(code) + 1) % 10**6:06d}") is False
    assert verify(accruals, OTHER, "not a code") is False
    # An unknown account gets the same plain answer: no error that tells it apart.
    assert verify(accruals, "999999999", code) is False
    assert verify(accruals, "", code) is False


def test_rotate_invalidates_the_old_code_at_once(accruals):
    old = get_code(accruals, ACCOUNT)
    accruals.RotateReceiptCode(accruals_pb2.RotateReceiptCodeRequest(account=ACCOUNT, operator="op-1", reason="lost"), timeout=5)
    new = get_code(accruals, ACCOUNT)
    assert new != old
    assert verify(accruals, ACCOUNT, new) is True
    assert verify(accruals, ACCOUNT, old) is False


def test_operator_calls_refuse_unknown_accounts_and_bad_input(accruals):
    with pytest.raises(grpc.RpcError) as error:
        get_code(accruals, "999999999")
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as error:
        accruals.RotateReceiptCode(accruals_pb2.RotateReceiptCodeRequest(account="999999999", operator="op-1"), timeout=5)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as error:
        accruals.RotateReceiptCode(accruals_pb2.RotateReceiptCodeRequest(account=ACCOUNT), timeout=5)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as error:
        accruals.GetReceiptCode(
            accruals_pb2.GetReceiptCodeRequest(account=ACCOUNT, period=common_pb2.Period(year=2026, month=13)), timeout=5)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_service_does_not_start_without_a_secret(start_service_module):
    # Settings are checked before the database, so no database is needed.
    service = start_service_module(SERVICE, "postgresql://nobody@127.0.0.1:1/none", wait=False, GOROD_RECEIPT_CODE_SECRET="")
    assert service.process.wait(30) == 2
    log = service.log()
    assert "gorod-accruals: bad settings: GOROD_RECEIPT_CODE_SECRET:" in log

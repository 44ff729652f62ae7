"""GetReceiptData against a real accruals process over gRPC (docs/receipt-data.md)."""
from __future__ import annotations

import pathlib
import sys

import grpc
import psycopg
import pytest

from accruals.domain import receipt_codes
from accruals.run import runner, sample
from gorod.accruals.v1 import accruals_pb2, accruals_pb2_grpc
from gorod.common.v1 import common_pb2
from gorod_runtime.imports.apply import connection_url
from gorod_runtime.period import Period

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
import demo_region  # noqa: E402

SECRET = b"gorod-test-receipt-code-secret-0123456789"     # the kit's test environment (service_env)
SERVICE = "accruals.service:AccrualsService"
MARCH = Period(2026, 3)


@pytest.fixture(scope="module")
def region(make_database_module, start_service_module, tmp_path_factory):
    url = make_database_module("accruals")
    folder = tmp_path_factory.mktemp("region")
    demo_region.generate(folder, 60, seed=11)
    plain = connection_url(url)
    sample.load_region(plain, folder)
    sample.add_readings(plain, MARCH, every=2, months=3, gap_share=0.2)
    sample.add_absences(plain, MARCH, every=5)
    sample.add_payments(plain, MARCH, every=2)
    run = runner.run_period(plain, MARCH, workers=1)
    service = start_service_module(SERVICE, url)
    with grpc.insecure_channel(service.address) as channel:
        yield plain, accruals_pb2_grpc.AccrualsServiceStub(channel), run["run_id"]


def request(account: str, period: Period | None = MARCH) -> accruals_pb2.GetReceiptDataRequest:
    message = accruals_pb2.GetReceiptDataRequest(account=account)
    if period is not None:
        message.period.CopyFrom(common_pb2.Period(year=period.year, month=period.month))
    return message


def test_receipt_data_over_grpc(region):
    url, stub, run_id = region
    with psycopg.connect(url) as conn:
        rows = conn.execute("""SELECT account, sum(amount_kopecks) FILTER (WHERE method <> 'penalty'),
                                      coalesce(sum(amount_kopecks) FILTER (WHERE method = 'penalty'), 0), count(*)
                               FROM charge_lines WHERE run_id = %s GROUP BY account ORDER BY account""", (run_id,)).fetchall()
        metered = {r[0] for r in conn.execute("SELECT DISTINCT account FROM consumption WHERE period = '2026-03-01'")}
    assert rows
    checked_meter = checked_explanation = False
    for account, charges, penalties, count in rows:
        answer = stub.GetReceiptData(request(account), timeout=10)
        assert (answer.period.year, answer.period.month) == (2026, 3) and answer.run_id == run_id
        assert answer.run_status == "draft" and answer.receipt_code == receipt_codes.code(SECRET, account, MARCH, 0)
        assert answer.payer.account == account and answer.payer.name and answer.payer.address and answer.payer.total_area
        assert answer.executor.name and answer.executor.inn
        assert answer.totals.charges_kopecks == charges == sum(s.to_pay_kopecks for s in answer.services)
        assert answer.totals.penalty_kopecks == penalties == sum(p.kopecks for p in answer.penalties)
        assert sum(len(s.lines) for s in answer.services) + len(answer.penalties) == count
        t = answer.totals
        assert t.total_kopecks == t.opening_kopecks + t.charges_kopecks + t.penalty_kopecks - t.paid_kopecks + t.other_kopecks
        assert t.to_pay_kopecks == max(0, t.total_kopecks) and t.instalment_kopecks == 0
        assert t.support_kopecks == t.cash_equivalent_kopecks + t.subsidy_kopecks == 0      # no benefits in this region
        assert sum(r.total_kopecks for r in answer.recipients) == t.total_kopecks
        assert all(r.organisation.inn and r.organisation.name for r in answer.recipients)
        if account in metered:
            assert answer.meters and all(m.current and m.gis_service_code for m in answer.meters if m.current)
            checked_meter = True
        for service in answer.services:
            for line in service.lines:
                assert line.explanation.formula and line.explanation.steps
                checked_explanation = True
    assert checked_meter and checked_explanation


def test_receipt_data_errors(region):
    _url, stub, _run = region
    cases = [(request("999999999"), grpc.StatusCode.NOT_FOUND, "account.not_found"),
             (request(""), grpc.StatusCode.INVALID_ARGUMENT, "account.required"),
             (request("100000000", None), grpc.StatusCode.INVALID_ARGUMENT, "period.required")]
    with psycopg.connect(region[0]) as conn:
        account = conn.execute("SELECT number FROM accounts ORDER BY number LIMIT 1").fetchone()[0]
    cases.append((request(account, Period(2026, 7)), grpc.StatusCode.NOT_FOUND, "receipt.not_computed"))
    for message, status, code in cases:
        with pytest.raises(grpc.RpcError) as error:
            stub.GetReceiptData(message, timeout=10)
        assert error.value.code() == status, (message, error.value.details())
        assert code in repr(error.value.trailing_metadata()) + error.value.details(), error.value.details()

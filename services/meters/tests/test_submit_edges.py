"""SubmitReadings at its edges: meter ids that are not ASCII numbers, and two replicas whose clocks
disagree at a period's boundary (real PostgreSQL; the handler is called as each replica would call it)."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import grpc
import pytest
import sqlalchemy as sa

from gorod.meters.v1 import meters_pb2
from gorod_runtime import db
from gorod_runtime.period import Period
from gorod_runtime.uow import UnitOfWork
from meters.domain import readings as domain
from meters.domain import windows
from meters.handlers import readings as handlers
from meters.settings import MetersSettings

TZ = "Asia/Barnaul"
SETTINGS = MetersSettings(tz=TZ, default_window=windows.Window(23, 25, "next"))


@pytest.fixture(scope="module")
def engine(meters_db):
    engine = db.make_engine(meters_db, pool_size=2)
    yield engine
    engine.dispose()


def local(*args):
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(TZ)).astimezone(dt.UTC)


@pytest.mark.parametrize("meter_id", ["²", "١٧", "99999999999999999999"])
def test_a_meter_id_that_is_no_ascii_bigint_is_an_unknown_meter(stub, account, helpers, meter_id):
    helpers.register(stub, account)
    with pytest.raises(grpc.RpcError) as error:
        helpers.submit(stub, account, (meter_id, "1"))
    assert helpers.error_code(error.value) == (grpc.StatusCode.INVALID_ARGUMENT, "meter.not_found", "readings[0].meter_id")
    with pytest.raises(grpc.RpcError) as error:
        stub.GetHistory(meters_pb2.GetHistoryRequest(meter_id=meter_id, account=account), timeout=5)
    assert helpers.error_code(error.value) == (grpc.StatusCode.NOT_FOUND, "meter.not_found", "meter_id")


def test_a_later_call_on_a_replica_with_a_slower_clock_does_not_go_back_a_period(stub, account, engine, helpers):
    """Replica A's clock is a second ahead: at 25 Nov 23:59:59.5 (real) it reads 26 Nov 00:00:00.5 and
    files its reading for December. A moment later replica B, whose clock is right, takes the next
    reading of the meter: it is later (in time, in the table, in the outbox) and must count for
    December too, as a correction; filed for November, the October-to-December consumption would
    be counted twice (November's and December's both start from October)."""
    meter = helpers.register(stub, account)

    def submit(value, now):
        submission = domain.Submission(account, (domain.ReadingInput(meter, value),))
        return handlers.submit_readings(UnitOfWork(engine, "meters"), SETTINGS, submission, now=now)

    submit("100", local(2026, 10, 24, 12, 0, 0))
    a = submit("110", local(2026, 11, 26, 0, 0, 0, 500000)).readings[0]
    b = submit("110.1", local(2026, 11, 25, 23, 59, 59, 900000)).readings[0]
    assert (a.period, a.consumption) == (Period(2026, 12), Decimal("10.000"))
    assert b.submitted_at > a.submitted_at
    assert (b.period, b.consumption, b.correction) == (Period(2026, 12), Decimal("10.100"), True)
    with engine.connect() as conn:
        periods = conn.execute(sa.text("SELECT DISTINCT period FROM readings WHERE meter_id = :m AND period > '2026-10-01'"),
                               {"m": int(meter)}).scalars().all()
    assert periods == [dt.date(2026, 12, 1)]

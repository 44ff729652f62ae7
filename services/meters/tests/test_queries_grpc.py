"""The meters queries and registry RPCs against a real meters process over gRPC and its database.

A reading submitted now counts for the current period only, so readings of earlier periods are
written straight into the `readings` table (as an earlier submission would have left them); the
readings of the current period go through SubmitReadings, which counts their consumption from them.
"""
from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import grpc
import pytest
import sqlalchemy as sa

from gorod.common.v1 import common_pb2
from gorod.meters.v1 import meters_pb2
from gorod_runtime import db
from gorod_runtime.period import Period
from gorod_runtime.uow import UnitOfWork
from meters.domain import windows
from meters.domain.queries import previous
from meters.handlers import registry as registry_handlers

TZ = "Asia/Barnaul"
INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND


@pytest.fixture(scope="module")
def engine(meters_db):
    engine = db.make_engine(meters_db, pool_size=1)
    yield engine
    engine.dispose()


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).astimezone(zoneinfo.ZoneInfo(TZ)).date()


def days(n: int) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


def current() -> Period:
    """The period a reading sent now counts for under the default window (23-25, next)."""
    return windows.period_for(windows.Window(), dt.datetime.now(dt.UTC), TZ)


def back(period: Period, n: int) -> Period:
    for _ in range(n):
        period = previous(period)
    return period


def pb(period: Period) -> common_pb2.Period:
    return common_pb2.Period(year=period.year, month=period.month)


def per(message) -> Period:
    return Period(message.year, message.month)


def new_account(prefix: str = "6") -> str:
    return f"{prefix}{uuid.uuid4().int % 10**9:09d}"


def new_inn() -> str:
    return f"22{uuid.uuid4().int % 10**8:08d}"


def seed(engine, account: str, period: Period, readings, minute: int = 0) -> None:
    """An earlier submission: readings = [(meter_id, service, zone, value, consumption or None)]."""
    at = dt.datetime(period.year, period.month, 24, 12, minute, tzinfo=zoneinfo.ZoneInfo(TZ))
    submission = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO submissions (id, account, request_hash, source, accepted_at) "
                             "VALUES (:id, :account, 'seed', 'operator', :at)"), {"id": submission, "account": account, "at": at})
        for meter, service, zone, value, used in readings:
            conn.execute(sa.text("""
                INSERT INTO readings (id, submission_id, meter_id, account, service, zone, value, consumption, period, source,
                                      submitted_at)
                VALUES (:id, :submission, :meter, :account, :service, :zone, CAST(:value AS numeric), CAST(:used AS numeric),
                        :period, 'operator', :at)
            """), {"id": str(uuid.uuid4()), "submission": submission, "meter": int(meter), "account": account,
                   "service": service, "zone": zone, "value": value, "used": used, "period": period.first_day, "at": at})


def change(stub, meter: str, status: str, reason: str = "", **extra):
    return stub.ChangeMeterStatus(meters_pb2.ChangeMeterStatusRequest(meter_id=meter, status=status, reason=reason, **extra),
                                  timeout=5)


def refused(helpers, call) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(grpc.RpcError) as error:
        call()
    return helpers.error_code(error.value)


# -- ListMeters ------------------------------------------------------------------------------------


def test_list_meters_statuses_refusals_last_readings_and_current_period(stub, engine, helpers):
    account = new_account()
    cold = helpers.register(stub, account, "cold_water", verification_due=days(100), placement="kitchen")
    power = helpers.register(stub, account, "electricity", zones=2, digits=6, decimals=0, verification_due=days(0))
    gas = helpers.register(stub, account, "gas", verification_due=days(-1))      # expired yesterday, status still active
    hot = helpers.register(stub, account, "hot_water")
    heat = helpers.register(stub, account, "heat")
    change(stub, hot, "broken", "seal broken")
    change(stub, heat, "archived", "replaced")
    now = current()
    seed(engine, account, previous(now), [(cold, "cold_water", "", "10.000", None), (power, "electricity", "day", "1000", None),
                                          (power, "electricity", "night", "400", None)])
    helpers.submit(stub, account, (cold, "15"), (power, "1300", "day"), (power, "500", "night"))
    helpers.submit(stub, account, (cold, "14,5"))                                 # a correction: the latest is listed

    listed = stub.ListMeters(meters_pb2.ListMetersRequest(account=account), timeout=5)
    assert per(listed.current_period) == now
    assert [(m.meter_id, m.service, m.status, m.verification_due, m.accepts_readings, m.refusal_code) for m in listed.meters] == [
        (cold, "cold_water", "active", days(100), True, ""),                   # ordered by service, then id
        (power, "electricity", "active", days(0), True, ""),                   # valid through its due date
        (gas, "gas", "active", days(-1), False, "meter.verification_expired"),
        (hot, "hot_water", "broken", "", False, "meter.broken"),
    ]
    by_id = {m.meter_id: m for m in listed.meters}
    assert (by_id[cold].placement, by_id[cold].account, by_id[cold].unit, by_id[power].zones) == ("kitchen", account, "m3", 2)
    assert [(r.zone, r.value, per(r.period)) for r in by_id[cold].last_readings] == [("", "14.500", now)]
    assert [(r.zone, r.value, per(r.period)) for r in by_id[power].last_readings] == [("day", "1300", now), ("night", "500", now)]
    assert all(r.submitted_at.seconds for r in by_id[power].last_readings)
    assert not by_id[gas].last_readings and not by_id[hot].last_readings

    with_archived = stub.ListMeters(meters_pb2.ListMetersRequest(account=account, include_archived=True), timeout=5)
    assert [(m.meter_id, m.status, m.accepts_readings, m.refusal_code) for m in with_archived.meters] == [
        (cold, "active", True, ""), (power, "active", True, ""), (gas, "active", False, "meter.verification_expired"),
        (heat, "archived", False, "meter.archived"), (hot, "broken", False, "meter.broken")]

    assert not stub.ListMeters(meters_pb2.ListMetersRequest(account=new_account()), timeout=5).meters
    assert refused(helpers, lambda: stub.ListMeters(meters_pb2.ListMetersRequest(account="12ab5"), timeout=5)) == (
        INVALID, "account.invalid", "account")


# -- GetHistory ------------------------------------------------------------------------------------


def test_history_per_period_with_consumption_corrections_and_bounds(stub, engine, helpers):
    account = new_account()
    meter = helpers.register(stub, account, "cold_water")
    now = current()
    seed(engine, account, back(now, 12), [(meter, "cold_water", "", "90.000", None)])          # outside the default 12 periods
    seed(engine, account, back(now, 2), [(meter, "cold_water", "", "100.000", "10.000")])
    seed(engine, account, back(now, 1), [(meter, "cold_water", "", "110.000", "10.000")])
    seed(engine, account, back(now, 1), [(meter, "cold_water", "", "112.500", "12.500")], minute=30)   # its correction
    first = helpers.submit(stub, account, (meter, "120")).readings[0]
    assert (first.previous_value, first.consumption, first.correction) == ("112.500", "7.500", False)
    second = helpers.submit(stub, account, (meter, "119")).readings[0]       # a correction, lower: still from 112.500
    assert (second.previous_value, second.consumption, second.correction) == ("112.500", "6.500", True)

    def history(**bounds):
        request = meters_pb2.GetHistoryRequest(meter_id=meter, account=account,
                                               **{k: pb(v) for k, v in bounds.items()})
        return stub.GetHistory(request, timeout=5)

    full = history()
    assert (full.meter.meter_id, full.meter.account, full.meter.service) == (meter, account, "cold_water")
    assert [(per(r.period), r.value, r.counts, r.consumption) for r in full.readings] == [
        (back(now, 2), "100.000", True, "10.000"),
        (back(now, 1), "110.000", False, ""),
        (back(now, 1), "112.500", True, "12.500"),
        (now, "120.000", False, ""),
        (now, "119.000", True, "6.500"),
    ]
    assert [r.reading_id for r in full.readings][-2:] == [first.reading_id, second.reading_id]
    assert [r.source for r in full.readings] == ["operator"] * 3 + ["cabinet"] * 2
    assert [(per(c.period), c.zone, c.value, c.consumption) for c in full.consumption] == [
        (back(now, 2), "", "100.000", "10.000"), (back(now, 1), "", "112.500", "12.500"), (now, "", "119.000", "6.500")]

    since = history(from_period=back(now, 12))                               # open end: up to the latest
    assert [(per(r.period), r.value) for r in since.readings][0] == (back(now, 12), "90.000")
    assert len(since.readings) == 6 and since.consumption[0].consumption == ""          # the first reading: unknown
    one = history(from_period=back(now, 1), to_period=back(now, 1))
    assert [(r.value, r.counts) for r in one.readings] == [("110.000", False), ("112.500", True)]
    assert [(c.value, c.consumption) for c in one.consumption] == [("112.500", "12.500")]
    assert [r.value for r in history(to_period=back(now, 2)).readings] == ["90.000", "100.000"]   # 12 periods up to `to`
    assert not history(from_period=now.next(), to_period=now.next().next()).readings

    assert refused(helpers, lambda: history(from_period=now, to_period=back(now, 1))) == (
        INVALID, "history.invalid_range", "from_period")
    bad_month = meters_pb2.GetHistoryRequest(meter_id=meter, from_period=common_pb2.Period(year=2026, month=13))
    assert refused(helpers, lambda: stub.GetHistory(bad_month, timeout=5)) == (INVALID, "request.invalid_period", "from_period")
    other = meters_pb2.GetHistoryRequest(meter_id=meter, account=new_account())
    assert refused(helpers, lambda: stub.GetHistory(other, timeout=5)) == (NOT_FOUND, "meter.not_found", "meter_id")
    unknown = meters_pb2.GetHistoryRequest(meter_id="999999999", account=account)
    assert refused(helpers, lambda: stub.GetHistory(unknown, timeout=5)) == (NOT_FOUND, "meter.not_found", "meter_id")
    not_an_id = meters_pb2.GetHistoryRequest(meter_id="abc", account=account)
    assert refused(helpers, lambda: stub.GetHistory(not_an_id, timeout=5)) == (NOT_FOUND, "meter.not_found", "meter_id")


def test_history_of_a_two_zone_meter_counts_per_zone(stub, engine, helpers):
    account = new_account()
    power = helpers.register(stub, account, "electricity", zones=2, digits=6, decimals=0)
    now = current()
    seed(engine, account, previous(now), [(power, "electricity", "day", "1000", None), (power, "electricity", "night", "400", None)])
    helpers.submit(stub, account, (power, "1300", "day"), (power, "500", "night"))
    helpers.submit(stub, account, (power, "1250", "day"), (power, "520", "night"))
    history = stub.GetHistory(meters_pb2.GetHistoryRequest(meter_id=power), timeout=5)
    assert [(per(r.period), r.zone, r.value, r.counts, r.consumption) for r in history.readings] == [
        (previous(now), "day", "1000", True, ""), (previous(now), "night", "400", True, ""),
        (now, "day", "1300", False, ""), (now, "night", "500", False, ""),
        (now, "day", "1250", True, "250"), (now, "night", "520", True, "120"),
    ]
    assert [(per(c.period), c.zone, c.value, c.consumption) for c in history.consumption] == [
        (previous(now), "day", "1000", ""), (previous(now), "night", "400", ""), (now, "day", "1250", "250"),
        (now, "night", "520", "120")]


# -- GetConsumption --------------------------------------------------------------------------------


def test_consumption_per_account_meter_zone_and_period(stub, engine, helpers):
    now = current()
    last, older = previous(now), back(now, 2)
    first, second = sorted([new_account(), new_account()])
    cold = helpers.register(stub, first, "cold_water")
    power = helpers.register(stub, first, "electricity", zones=2, digits=6, decimals=0)
    hot = helpers.register(stub, second, "hot_water", decimals=2)
    seed(engine, first, older, [(cold, "cold_water", "", "1.000", None)])                  # a period not asked for
    seed(engine, first, last, [(cold, "cold_water", "", "5.000", "4.000"), (power, "electricity", "day", "1000", None),
                               (power, "electricity", "night", "400", None)])
    seed(engine, second, last, [(hot, "hot_water", "", "30.00", "3.00")])
    helpers.submit(stub, first, (cold, "9"), (power, "1300", "day"), (power, "450", "night"))
    helpers.submit(stub, first, (cold, "8,25"))                                            # the correction counts
    helpers.submit(stub, second, (hot, "33,5"))

    request = meters_pb2.GetConsumptionRequest(accounts=[second, new_account(), first], periods=[pb(now), pb(last)])
    records = stub.GetConsumption(request, timeout=5).records
    assert [(r.account, per(r.period), r.meter_id, r.service, r.zone, r.value, r.consumption, r.unit) for r in records] == [
        (first, last, cold, "cold_water", "", "5.000", "4.000", "m3"),
        (first, last, power, "electricity", "day", "1000", "", "kWh"),
        (first, last, power, "electricity", "night", "400", "", "kWh"),
        (first, now, cold, "cold_water", "", "8.250", "3.250", "m3"),
        (first, now, power, "electricity", "day", "1300", "300", "kWh"),
        (first, now, power, "electricity", "night", "450", "50", "kWh"),
        (second, last, hot, "hot_water", "", "30.00", "3.00", "m3"),
        (second, now, hot, "hot_water", "", "33.50", "3.50", "m3"),
    ]
    only_unknown = meters_pb2.GetConsumptionRequest(accounts=[new_account()], periods=[pb(now)])
    assert not stub.GetConsumption(only_unknown, timeout=5).records
    months = [pb(back(now, n)) for n in range(36)]
    assert len(stub.GetConsumption(meters_pb2.GetConsumptionRequest(accounts=[first], periods=months), timeout=5).records) == 7


def test_consumption_limits_are_refused_with_stable_codes(stub, helpers):
    now = current()
    cases = [
        (["123456"], [pb(back(now, n)) for n in range(37)], ("periods.too_many", "periods")),
        ([f"{100000 + n}" for n in range(1001)], [pb(now)], ("accounts.too_many", "accounts")),
        ([], [pb(now)], ("accounts.required", "accounts")),
        (["123456"], [], ("periods.required", "periods")),
        (["123456", "12ab56"], [pb(now)], ("account.invalid", "accounts[1]")),
        (["123456"], [pb(now), common_pb2.Period(year=2026, month=13)], ("request.invalid_period", "periods[1]")),
    ]
    for accounts, periods, expected in cases:
        request = meters_pb2.GetConsumptionRequest(accounts=accounts, periods=periods)
        assert refused(helpers, lambda r=request: stub.GetConsumption(r, timeout=5)) == (INVALID, *expected)


# -- ListAccountsWithoutReadings -------------------------------------------------------------------


def test_accounts_without_readings_of_a_supplier_in_pages(stub, engine, helpers):
    supplier, other_supplier = new_inn(), new_inn()
    now = current()
    base = new_account()[:8]
    a = [f"{base}{n:02d}" for n in range(7)]          # in account order
    helpers.register(stub, a[0], "cold_water", supplier_inn=supplier)                       # no reading: listed
    with_reading = helpers.register(stub, a[1], "cold_water", supplier_inn=supplier)        # has one: not listed
    helpers.submit(stub, a[1], (with_reading, "1"))
    change(stub, helpers.register(stub, a[2], "cold_water", supplier_inn=supplier), "broken")      # broken: not listed
    change(stub, helpers.register(stub, a[3], "hot_water", supplier_inn=supplier), "archived")     # archived: not listed
    helpers.register(stub, a[4], "gas", supplier_inn=other_supplier)                       # another supplier's
    done = helpers.register(stub, a[5], "cold_water", supplier_inn=supplier)               # one of two meters lacks one
    helpers.register(stub, a[5], "hot_water", supplier_inn=supplier)
    helpers.submit(stub, a[5], (done, "1"))
    last_month = helpers.register(stub, a[6], "cold_water", supplier_inn=supplier)         # a reading of last period only
    seed(engine, a[6], previous(now), [(last_month, "cold_water", "", "1.000", None)])

    def page(period=now, supplier_inn=supplier, after="", limit=0):
        return stub.ListAccountsWithoutReadings(meters_pb2.ListAccountsWithoutReadingsRequest(
            period=pb(period), supplier_inn=supplier_inn, after_account=after, limit=limit), timeout=5)

    everything = page()
    assert (list(everything.accounts), everything.next_after_account) == ([a[0], a[5], a[6]], "")
    first = page(limit=2)
    assert (list(first.accounts), first.next_after_account) == ([a[0], a[5]], a[5])
    second = page(after=first.next_after_account, limit=2)
    assert (list(second.accounts), second.next_after_account) == ([a[6]], "")
    assert list(page(period=previous(now)).accounts) == [a[0], a[1], a[5]]
    assert list(page(supplier_inn=other_supplier).accounts) == [a[4]]
    assert {a[0], a[4], a[5], a[6]} <= set(page(supplier_inn="", limit=10000).accounts)

    for limit in (-1, 10001):
        assert refused(helpers, lambda n=limit: page(limit=n)) == (INVALID, "request.invalid_limit", "limit")
    no_period = meters_pb2.ListAccountsWithoutReadingsRequest(supplier_inn=supplier)
    assert refused(helpers, lambda: stub.ListAccountsWithoutReadings(no_period, timeout=5)) == (
        INVALID, "request.period_required", "period")


# -- verification: reminders and the periodic expiry -----------------------------------------------


def test_verification_due_within_the_days_in_pages(stub, helpers):
    supplier = new_inn()
    account = new_account()

    def meter(service, due, **extra):
        return helpers.register(stub, account, service, serial=uuid.uuid4().hex[:10], supplier_inn=supplier,
                                verification_due=due, **extra)

    due_today, due_in_30 = meter("cold_water", days(0)), meter("hot_water", days(30))
    due_in_31, expired = meter("gas", days(31)), meter("heat", days(-1))
    change(stub, meter("cold_water", days(5)), "broken")                   # not active: no reminder
    meter("hot_water", "")                                                 # no date
    helpers.register(stub, account, "electricity", supplier_inn=new_inn(), verification_due=days(3))   # another supplier

    def due(within=0, after="", limit=0):
        return stub.ListVerificationDue(meters_pb2.ListVerificationDueRequest(
            within_days=within, supplier_inn=supplier, after_meter_id=after, limit=limit), timeout=5)

    default = due()                                                        # 30 days: today through today + 30
    assert ([m.meter_id for m in default.meters], default.next_after_meter_id) == ([due_today, due_in_30], "")
    assert [(m.verification_due, m.status) for m in default.meters] == [(days(0), "active"), (days(30), "active")]
    assert [m.meter_id for m in due(within=31).meters] == [due_today, due_in_30, due_in_31]
    assert [m.meter_id for m in due(within=1).meters] == [due_today]
    assert expired not in [m.meter_id for m in due(within=365).meters]    # already expired: not a reminder
    first = due(within=31, limit=2)
    assert ([m.meter_id for m in first.meters], first.next_after_meter_id) == ([due_today, due_in_30], due_in_30)
    second = due(within=31, after=first.next_after_meter_id, limit=2)
    assert ([m.meter_id for m in second.meters], second.next_after_meter_id) == ([due_in_31], "")
    assert refused(helpers, lambda: due(limit=10001)) == (INVALID, "request.invalid_limit", "limit")
    assert refused(helpers, lambda: due(within=1_000_000)) == (INVALID, "request.invalid_within_days", "within_days")
    assert [m.meter_id for m in due(within=3660).meters] == [due_today, due_in_30, due_in_31]


def test_expiry_marks_the_status_with_history_and_readings_are_refused(stub, engine, helpers):
    account = new_account()
    expired = helpers.register(stub, account, "cold_water", verification_due=days(-1))
    valid = helpers.register(stub, account, "hot_water", verification_due=days(0))
    broken = helpers.register(stub, account, "gas", verification_due=days(-10))
    change(stub, broken, "broken", "leak")

    registry_handlers.expire_verifications(UnitOfWork(engine, "meters"), TZ)    # the hourly timer's handler
    assert registry_handlers.expire_verifications(UnitOfWork(engine, "meters"), TZ) == 0    # caught up: nothing left

    statuses = {m.meter_id: m.status for m in stub.ListMeters(meters_pb2.ListMetersRequest(account=account), timeout=5).meters}
    assert statuses == {expired: "verification_expired", valid: "active", broken: "broken"}
    with engine.connect() as conn:
        history = conn.execute(sa.text("SELECT status, reason, source FROM meter_status_history WHERE meter_id = :m "
                                       "ORDER BY changed_at, id"), {"m": int(expired)}).all()
    assert [tuple(h) for h in history] == [("active", "registered", "test"),
                                           ("verification_expired", f"verification ended on {days(-1)}", "system")]
    assert refused(helpers, lambda: helpers.submit(stub, account, (expired, "1"))) == (
        INVALID, "meter.verification_expired", "readings[0].meter_id")
    assert helpers.submit(stub, account, (valid, "1")).readings[0].value == "1.000"

    # After a verification the operator makes it active with the new date; readings are taken again.
    verified = change(stub, expired, "active", "verified", operator="op-1", verification_due=days(365 * 6))
    assert (verified.status, verified.verification_due) == ("active", days(365 * 6))
    assert [(h.status, h.reason, h.source) for h in verified.status_history][1:] == [
        ("verification_expired", f"verification ended on {days(-1)}", "system"), ("active", "verified", "op-1")]
    assert helpers.submit(stub, account, (expired, "2")).readings[0].value == "2.000"


# -- registry ---------------------------------------------------------------------------------------


def test_register_meter_answers_the_meter_and_refuses_bad_ones(stub, helpers):
    account = new_account()
    meter = meters_pb2.Meter(account=account, service="electricity", serial=" E-1 ", zones=3, unit="kWh", digits=6, decimals=1,
                             supplier_inn="2200000099", placement="hall", installed_on="2024-01-15", sealed_on="2024-01-16",
                             verification_due="2032-01-15", status="broken", meter_id="42")   # id and status are ignored
    made = stub.RegisterMeter(meters_pb2.RegisterMeterRequest(meter=meter, operator="op-1"), timeout=5)
    assert made.meter_id.isdigit() and made.meter_id != "42"
    assert (made.account, made.service, made.serial, made.zones, made.unit, made.digits, made.decimals, made.supplier_inn,
            made.placement, made.installed_on, made.sealed_on, made.verification_due, made.status) == (
        account, "electricity", "E-1", 3, "kWh", 6, 1, "2200000099", "hall", "2024-01-15", "2024-01-16", "2032-01-15", "active")
    history = change(stub, made.meter_id, "broken", "display dark").status_history
    assert [(h.status, h.reason, h.source) for h in history] == [("active", "registered", "op-1"),
                                                                 ("broken", "display dark", "operator")]

    good = dict(account=account, service="gas", serial="G-1", zones=1, unit="m3", digits=5, decimals=3)
    cases = [
        ({"zones": 2}, ("meter.invalid_zones", "meter.zones")),                 # two zones: electricity only
        ({"service": "electricity", "unit": "kWh", "zones": 4}, ("meter.invalid_zones", "meter.zones")),
        ({"digits": 0}, ("meter.invalid_digits", "meter.digits")),
        ({"digits": 13}, ("meter.invalid_digits", "meter.digits")),
        ({"decimals": 4}, ("meter.invalid_decimals", "meter.decimals")),
        ({"unit": "kWh"}, ("meter.invalid_unit", "meter.unit")),
        ({"service": "water"}, ("meter.invalid_service", "meter.service")),
        ({"serial": "  "}, ("meter.serial_required", "meter.serial")),
        ({"account": "12345"}, ("account.invalid", "meter.account")),
        ({"installed_on": "2024-13-01"}, ("request.invalid_date", "meter.installed_on")),
    ]
    for change_, expected in cases:
        request = meters_pb2.RegisterMeterRequest(meter=meters_pb2.Meter(**(good | change_)))
        assert refused(helpers, lambda r=request: stub.RegisterMeter(r, timeout=5)) == (INVALID, *expected), change_
    assert not stub.ListMeters(meters_pb2.ListMetersRequest(account=account, include_archived=True), timeout=5).meters[1:]

    again = meters_pb2.RegisterMeterRequest(meter=meters_pb2.Meter(**(good | {"service": "electricity", "unit": "kWh",
                                                                                "serial": "E-1"})))
    assert refused(helpers, lambda: stub.RegisterMeter(again, timeout=5)) == (
        grpc.StatusCode.FAILED_PRECONDITION, "meter.exists", "meter.serial")


def test_change_status_appends_history_and_refuses_bad_requests(stub, helpers):
    account = new_account()
    meter = helpers.register(stub, account, "hot_water", verification_due="2030-05-01")
    broken = change(stub, meter, "broken", "seal broken", operator="op-7")
    archived = change(stub, meter, "archived", "replaced")
    assert (broken.status, archived.status, archived.verification_due) == ("broken", "archived", "2030-05-01")
    assert [(h.status, h.reason, h.source) for h in archived.status_history] == [
        ("active", "registered", "test"), ("broken", "seal broken", "op-7"), ("archived", "replaced", "operator")]
    times = [h.changed_at.ToDatetime() for h in archived.status_history]
    assert times == sorted(times)
    assert refused(helpers, lambda: change(stub, meter, "lost")) == (INVALID, "meter.invalid_status", "status")
    assert refused(helpers, lambda: change(stub, "999999999", "broken")) == (NOT_FOUND, "meter.not_found", "meter_id")
    assert refused(helpers, lambda: change(stub, "M-1", "broken")) == (NOT_FOUND, "meter.not_found", "meter_id")
    assert refused(helpers, lambda: change(stub, meter, "active", verification_due="01.05.2031")) == (
        INVALID, "request.invalid_date", "verification_due")
    assert len(change(stub, meter, "active", "back").status_history) == 4


# -- submission windows ----------------------------------------------------------------------------


def test_the_most_specific_window_applies_and_windows_are_listed(stub, helpers):
    supplier, other = new_inn(), new_inn()
    account = new_account()
    local = dt.datetime.now(dt.UTC).astimezone(zoneinfo.ZoneInfo(TZ))
    this_month = Period(local.year, local.month)
    not_today = 2 if local.day == 1 else 1

    def window(supplier_inn, service, first, last, outside="next", remove=False):
        return stub.SetSubmissionWindow(meters_pb2.SubmissionWindow(
            supplier_inn=supplier_inn, service=service, first_day=first, last_day=last, outside=outside, remove=remove),
            timeout=5)

    echoed = window(supplier, "cold_water", not_today, not_today, "refuse")
    assert (echoed.supplier_inn, echoed.service, echoed.first_day, echoed.last_day, echoed.outside) == (
        supplier, "cold_water", not_today, not_today, "refuse")
    window(supplier, "", 1, 31)                               # the whole month: this month's period
    window("", "heat", not_today, not_today, "refuse")        # any supplier's heat meters
    try:
        cold = helpers.register(stub, account, "cold_water", supplier_inn=supplier)
        hot = helpers.register(stub, account, "hot_water", supplier_inn=supplier)
        heat = helpers.register(stub, account, "heat", supplier_inn=supplier)
        other_heat = helpers.register(stub, account, "heat", supplier_inn=other)
        assert refused(helpers, lambda: helpers.submit(stub, account, (cold, "1"))) == (   # (supplier, service) first
            INVALID, "reading.outside_window", "")
        assert per(helpers.submit(stub, account, (hot, "1")).readings[0].period) == this_month      # (supplier, "")
        assert per(helpers.submit(stub, account, (heat, "1")).readings[0].period) == this_month     # before ("", service)
        assert refused(helpers, lambda: helpers.submit(stub, account, (other_heat, "1")))[1] == "reading.outside_window"
        # ListMeters says so before the resident types anything: each meter under its own window.
        listed = {m.meter_id: (m.accepts_readings, m.refusal_code)
                  for m in stub.ListMeters(meters_pb2.ListMetersRequest(account=account), timeout=5).meters}
        assert listed == {cold: (False, "reading.outside_window"), hot: (True, ""), heat: (True, ""),
                          other_heat: (False, "reading.outside_window")}

        listed = stub.ListSubmissionWindows(meters_pb2.ListSubmissionWindowsRequest(), timeout=5)
        mine = {(w.supplier_inn, w.service): (w.first_day, w.last_day, w.outside) for w in listed.windows
                if w.supplier_inn in (supplier, "")}
        assert mine == {(supplier, "cold_water"): (not_today, not_today, "refuse"), (supplier, ""): (1, 31, "next"),
                        ("", "heat"): (not_today, not_today, "refuse")}
        order = [(w.supplier_inn, w.service) for w in listed.windows if (w.supplier_inn, w.service) in mine]
        assert order == [(supplier, "cold_water"), (supplier, ""), ("", "heat")]            # the order they apply in
        assert (listed.default_window.first_day, listed.default_window.last_day, listed.default_window.outside,
                listed.default_window.supplier_inn, listed.default_window.service) == (23, 25, "next", "", "")

        window(supplier, "cold_water", 0, 0, remove=True)     # removed: the supplier's window applies again
        assert per(helpers.submit(stub, account, (cold, "2")).readings[0].period) == this_month
        listed = stub.ListSubmissionWindows(meters_pb2.ListSubmissionWindowsRequest(), timeout=5)
        assert (supplier, "cold_water") not in {(w.supplier_inn, w.service) for w in listed.windows}
    finally:
        window("", "heat", 0, 0, remove=True)
    assert per(helpers.submit(stub, account, (other_heat, "1")).readings[0].period) == current()      # the default again

    for first, last, outside, expected in [(0, 5, "next", ("window.invalid_days", "first_day")),
                                           (29, 30, "next", ("window.invalid_days", "first_day")),
                                           (10, 9, "next", ("window.invalid_days", "last_day")),
                                           (10, 32, "next", ("window.invalid_days", "last_day")),
                                           (1, 5, "later", ("window.invalid_outside", "outside"))]:
        assert refused(helpers, lambda a=first, b=last, o=outside: window(supplier, "gas", a, b, o)) == (INVALID, *expected)

"""The ledger against a real PostgreSQL, a real broker and the accruals service as a process:
payments from payments.payment-posted.v1, corrections and reversals over gRPC, concurrency,
and a property test of balances and statements against the database."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import itertools
import random
import threading
import time
import uuid

import grpc
import pytest
import sqlalchemy as sa
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafka import KafkaProducer

from accruals.domain import ledger as domain
from accruals.domain import queries as query_domain
from accruals.handlers import ledger as ledger_handlers
from accruals.handlers import queries as query_handlers
from gorod.accruals.v1 import accruals_pb2, accruals_pb2_grpc
from gorod.common.v1 import common_pb2
from gorod.events.v1 import payments_pb2
from gorod_runtime import db, events
from gorod_runtime.period import Period
from gorod_runtime.testing import wait_until
from gorod_runtime.uow import UnitOfWork

SERVICE = "accruals.service:AccrualsService"
TOPIC = "payments.payment-posted.v1"
TZ = "Asia/Barnaul"
# Recipients: the management company, the water supplier, the capital-repair fund.
UK, WATER, FUND = "2221000001", "2221000002", "2221000003"
RECIPIENTS = {UK: ("ООО «УК Центральная»", "maintenance"), WATER: ("ООО «Барнаульский водоканал»", "cold_water"),
              FUND: ("НО «Региональный оператор капремонта»", "capital_repair")}
_numbers = itertools.count(1)


def today() -> dt.date:
    return domain.today(TZ)


def months_back(n: int) -> Period:
    period = Period.of_date(today())
    for _ in range(n):
        period = Period(period.year - (period.month == 1), (period.month - 2) % 12 + 1)
    return period


# -- reference data by direct SQL (independent of the file importer) ----------------------

def seed_reference(conn) -> dict[str, int]:
    ids = {}
    for inn, (name, service) in RECIPIENTS.items():
        ids[inn] = conn.execute(sa.text(
            "INSERT INTO organisations (inn, kpp, name, kind) VALUES (:inn, '222101001', :name, 'recipient') RETURNING id"),
            {"inn": inn, "name": name}).scalar_one()
        conn.execute(sa.text(
            "INSERT INTO services (code, name, kind, unit, method, recipient_id) VALUES (:c, :c, :c, 'm2', 'area', :r)"),
            {"c": service, "r": ids[inn]})
    conn.execute(sa.text("INSERT INTO houses (code, address) VALUES ('h-1', 'г. Барнаул, ул. Ленина, д. 10')"))
    return ids


def add_account(conn, owner="Иванов Иван Иванович", services=("maintenance", "cold_water", "capital_repair")) -> str:
    number = f"1{next(_numbers):08d}"
    house = conn.execute(sa.text("SELECT id FROM houses WHERE code = 'h-1'")).scalar_one()
    premise = conn.execute(sa.text("INSERT INTO premises (house_id, number) VALUES (:h, :n) RETURNING id"),
                           {"h": house, "n": number[-4:]}).scalar_one()
    conn.execute(sa.text(
        "INSERT INTO accounts (number, premise_id, total_area, heated_area, residents, registered, owner_name, opened_on) "
        "VALUES (:n, :p, 50.5, 50.5, 2, 2, :o, '2020-01-01')"), {"n": number, "p": premise, "o": owner})
    for code in services:
        conn.execute(sa.text("INSERT INTO account_services (account, service_code, valid_from) VALUES (:a, :s, '2020-01-01')"),
                     {"a": number, "s": code})
    return number


def book(conn, account: str, recipient_id: int, amount: int, day: dt.date, kind: str = "charge") -> int:
    return conn.execute(sa.text(
        "INSERT INTO ledger_entries (account, recipient_id, kind, amount_kopecks, entry_date, period) "
        "VALUES (:a, :r, :k, :m, :d, :p) RETURNING id"),
        {"a": account, "r": recipient_id, "k": kind, "m": amount, "d": day, "p": day.replace(day=1)}).scalar_one()


def charge_months(conn, account, ids, months: int, amounts=(150_000, 60_000, 25_000)) -> int:
    """Charges for the last `months` months (dated the last day of each), per recipient."""
    total = 0
    for back in range(months, 0, -1):
        period = months_back(back)
        for inn, amount in zip((UK, WATER, FUND), amounts, strict=True):
            book(conn, account, ids[inn], amount, domain.last_day(period))
            total += amount
    return total


class Ledger:
    def __init__(self, url: str):
        self.url = url
        self.engine = db.make_engine(url, pool_size=5)

    def begin(self):
        return self.engine.begin()

    def entries(self, account: str) -> list:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(
                "SELECT id, recipient_id, kind, amount_kopecks, entry_date, period, reference, reverses "
                "FROM ledger_entries WHERE account = :a ORDER BY id"), {"a": account}))

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, "accruals")


@pytest.fixture(scope="module")
def ledger(make_database_module):
    store = Ledger(make_database_module("accruals"))
    with store.begin() as conn:
        store.ids = seed_reference(conn)
    yield store
    store.engine.dispose()


@pytest.fixture(scope="module")
def service(ledger, start_service_module):
    return start_service_module(SERVICE, ledger.url)


@pytest.fixture(scope="module")
def stub(service):
    with grpc.insecure_channel(service.address) as channel:
        yield accruals_pb2_grpc.AccrualsServiceStub(channel)


@pytest.fixture(scope="module")
def producer(kafka_bootstrap):
    p = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=1)
    yield p
    p.close()


def payment_event(account: str, amount: int, recipient_inn: str = "", payment_id: str | None = None,
                  paid_at: dt.datetime | None = None) -> payments_pb2.PaymentPosted:
    event = payments_pb2.PaymentPosted(payment_id=payment_id or str(uuid.uuid4()), account=account,
                                       amount_kopecks=amount, recipient_inn=recipient_inn, channel="card",
                                       external_id="acq-1")
    event.paid_at.FromDatetime(paid_at or dt.datetime.now(dt.UTC))
    return event


def publish(producer, event: payments_pb2.PaymentPosted, event_id: str | None = None) -> str:
    envelope = events.build_envelope(TOPIC, "payments", event.account, event, event_id=event_id)
    producer.send(TOPIC, key=event.account.encode(), value=envelope.SerializeToString())
    return envelope.event_id


def error_code(error: grpc.RpcError) -> tuple:
    detail = common_pb2.ErrorDetail()
    rpc_status.from_call(error).details[0].Unpack(detail)
    return error.code(), detail.code


def correct(stub, account, kopecks, key=None, inn=UK, reason="перерасчёт", **extra):
    return stub.PostCorrection(accruals_pb2.PostCorrectionRequest(
        account=account, recipient_inn=inn, kopecks=kopecks, reason=reason, operator="op-1",
        idempotency_key=key or str(uuid.uuid4()), **extra), timeout=10).entry_id


def balance(stub, account, as_of="") -> accruals_pb2.AccountBalance:
    [b] = stub.GetBalances(accruals_pb2.GetBalancesRequest(accounts=[account], as_of=as_of), timeout=10).balances
    return b


# -- payments -----------------------------------------------------------------------------

def test_the_same_payment_event_twice_books_one_entry(ledger, stub, producer):
    with ledger.begin() as conn:
        account = add_account(conn)
        charge_months(conn, account, ledger.ids, 2)
    event = payment_event(account, 10_000, recipient_inn=WATER)
    event_id = publish(producer, event)
    publish(producer, event, event_id=event_id)        # a redelivery: the inbox drops it
    publish(producer, event)                           # a replay under a new event id: the reference index
    marker = payment_event(account, 1, recipient_inn=UK)
    publish(producer, marker)                          # same key: handled after the three above
    producer.flush()
    wait_until(lambda: ledger.scalar("SELECT count(*) FROM ledger_entries WHERE reference = :r", r=marker.payment_id),
               timeout=60, message="the marker payment")
    rows = [r for r in ledger.entries(account) if r.kind == "payment"]
    assert [(r.reference, r.amount_kopecks, r.recipient_id) for r in rows] == [
        (event.payment_id, -10_000, ledger.ids[WATER]), (marker.payment_id, -1, ledger.ids[UK])]
    assert ledger.scalar("SELECT count(*) FROM inbox WHERE event_id = :e", e=event_id) == 1


def test_a_payment_without_recipient_is_split_oldest_debt_first(ledger, stub, producer):
    with ledger.begin() as conn:
        account = add_account(conn)
        charge_months(conn, account, ledger.ids, 2)      # 150 000 / 60 000 / 25 000 a month
    paid_at = dt.datetime.now(dt.UTC)
    event = payment_event(account, 300_000, paid_at=paid_at)   # the older month (235 000) and 65 000 of the newer
    publish(producer, event)
    producer.flush()
    wait_until(lambda: ledger.scalar("SELECT count(*) FROM ledger_entries WHERE reference LIKE :r", r=event.payment_id + "%") == 3,
               timeout=60, message="the split payment")
    parts = {r.recipient_id: r for r in ledger.entries(account) if r.kind == "payment"}
    ids = ledger.ids
    # 65 000 of 235 000 in proportion: 41 489.36 / 16 595.74 / 6 914.89 -> largest remainders
    assert {k: -r.amount_kopecks for k, r in parts.items()} == {ids[UK]: 191_489, ids[WATER]: 76_596, ids[FUND]: 31_915}
    assert parts[ids[UK]].reference == event.payment_id
    assert {r.reference for r in parts.values()} == {event.payment_id, event.payment_id + "/2", event.payment_id + "/3"}
    assert {r.entry_date for r in parts.values()} == {domain.today(TZ, paid_at)}
    b = balance(stub, account)
    assert b.total_kopecks == 2 * 235_000 - 300_000


def test_an_overpayment_becomes_an_advance_on_the_largest_charge(ledger, producer):
    with ledger.begin() as conn:
        account = add_account(conn)
        charge_months(conn, account, ledger.ids, 1, amounts=(10_000, 90_000, 5_000))
    event = payment_event(account, 200_000)
    publish(producer, event)
    producer.flush()
    wait_until(lambda: ledger.scalar("SELECT count(*) FROM ledger_entries WHERE reference LIKE :r", r=event.payment_id + "%") == 3,
               timeout=60, message="the split payment")
    parts = {r.recipient_id: -r.amount_kopecks for r in ledger.entries(account) if r.kind == "payment"}
    assert parts == {ledger.ids[UK]: 10_000, ledger.ids[WATER]: 185_000, ledger.ids[FUND]: 5_000}


def test_a_payment_for_an_unknown_account_or_recipient_is_kept_unmatched(ledger, producer):
    with ledger.begin() as conn:
        known = add_account(conn)
    unknown = payment_event("999000111", 5_000)
    stranger = payment_event(known, 7_000, recipient_inn="7700000000")
    publish(producer, unknown)
    publish(producer, stranger)
    producer.flush()
    wait_until(lambda: ledger.scalar("SELECT count(*) FROM unmatched_payments WHERE payment_id IN (:a, :b)",
                                     a=unknown.payment_id, b=stranger.payment_id) == 2, timeout=60, message="unmatched")
    assert ledger.scalar("SELECT reason FROM unmatched_payments WHERE payment_id = :p", p=unknown.payment_id) == "account.not_found"
    assert ledger.scalar("SELECT reason FROM unmatched_payments WHERE payment_id = :p", p=stranger.payment_id) == "recipient.not_found"
    assert ledger.scalar("SELECT count(*) FROM ledger_entries WHERE reference IN (:a, :b)",
                         a=unknown.payment_id, b=stranger.payment_id) == 0


def test_a_payment_booked_in_process_is_booked_once(ledger):
    """The handler alone (no inbox): the (kind, reference) index stops a second booking."""
    with ledger.begin() as conn:
        account = add_account(conn)
        charge_months(conn, account, ledger.ids, 1)
    event = payment_event(account, 1_000, recipient_inn=UK)
    assert len(ledger_handlers.post_payment(ledger.uow(), event, TZ)) == 1
    assert ledger_handlers.post_payment(ledger.uow(), event, TZ) == []
    assert sum(1 for r in ledger.entries(account) if r.kind == "payment") == 1


# -- corrections and reversals ------------------------------------------------------------

def test_a_correction_is_booked_once_per_key(ledger, stub):
    with ledger.begin() as conn:
        account = add_account(conn)
    first = correct(stub, account, -12_345, key="fix-1", service_code="maintenance")
    assert correct(stub, account, -12_345, key="fix-1", service_code="maintenance") == first
    [row] = ledger.entries(account)
    assert (row.id, row.kind, row.amount_kopecks, row.reference, row.entry_date) == (
        first, "correction", -12_345, "correction:fix-1", today())
    with pytest.raises(grpc.RpcError) as caught:
        correct(stub, account, 99, key="fix-1")
    assert error_code(caught.value) == (grpc.StatusCode.FAILED_PRECONDITION, "correction.key_reused")
    assert balance(stub, account).total_kopecks == -12_345


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"kopecks": 0}, grpc.StatusCode.INVALID_ARGUMENT, "correction.zero_amount"),
    ({"reason": ""}, grpc.StatusCode.INVALID_ARGUMENT, "reason.required"),
    ({"reason": "x" * 501}, grpc.StatusCode.INVALID_ARGUMENT, "reason.too_long"),
    ({"account": ""}, grpc.StatusCode.INVALID_ARGUMENT, "account.required"),
    ({"date": "2026-02-30"}, grpc.StatusCode.INVALID_ARGUMENT, "date.invalid"),
    ({"account": "999999999"}, grpc.StatusCode.NOT_FOUND, "account.not_found"),
    ({"inn": "7700000000"}, grpc.StatusCode.NOT_FOUND, "recipient.not_found"),
    ({"service_code": "nope"}, grpc.StatusCode.NOT_FOUND, "service.not_found"),
])
def test_bad_corrections_are_refused(ledger, stub, change, status, code):
    with ledger.begin() as conn:
        account = add_account(conn)
    args = {"account": account, "kopecks": 100} | change
    with pytest.raises(grpc.RpcError) as caught:
        correct(stub, args.pop("account"), args.pop("kopecks"), **args)
    assert error_code(caught.value) == (status, code)
    assert ledger.entries(account) == []


def test_a_correction_in_a_closed_period_is_refused(ledger, stub):
    with ledger.begin() as conn:
        account = add_account(conn)
        conn.execute(sa.text("INSERT INTO periods (period, status) VALUES ('2024-01-01', 'closed')"))
    with pytest.raises(grpc.RpcError) as caught:
        correct(stub, account, 100, date="2024-01-15")
    assert error_code(caught.value) == (grpc.StatusCode.FAILED_PRECONDITION, "correction.period_closed")
    assert correct(stub, account, 100, date="2024-02-01") > 0


def test_an_entry_is_reversed_once_and_a_reversal_never(ledger, stub):
    with ledger.begin() as conn:
        account = add_account(conn)
        charge = book(conn, account, ledger.ids[WATER], 48_000, today().replace(day=1), kind="charge")

    def reverse(entry_id):
        return stub.ReverseEntry(accruals_pb2.ReverseEntryRequest(entry_id=entry_id, reason="ошибка", operator="op-2"),
                                 timeout=10).entry_id

    reversal = reverse(charge)
    rows = {r.id: r for r in ledger.entries(account)}
    assert (rows[reversal].kind, rows[reversal].amount_kopecks, rows[reversal].reverses) == ("reversal", -48_000, charge)
    assert rows[charge].amount_kopecks == 48_000                      # the original is untouched
    for entry_id, status, code in [(charge, grpc.StatusCode.FAILED_PRECONDITION, "entry.already_reversed"),
                                   (reversal, grpc.StatusCode.INVALID_ARGUMENT, "entry.is_reversal"),
                                   (10**12, grpc.StatusCode.NOT_FOUND, "entry.not_found"),
                                   (0, grpc.StatusCode.INVALID_ARGUMENT, "entry.id_required")]:
        with pytest.raises(grpc.RpcError) as caught:
            reverse(entry_id)
        assert error_code(caught.value) == (status, code)
    assert balance(stub, account).total_kopecks == 0
    # Many at once: still one reversal.
    with ledger.begin() as conn:
        other = book(conn, account, ledger.ids[UK], 1_000, today(), kind="charge")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: _try(reverse, other), range(8)))
    assert sum(isinstance(o, int) for o in outcomes) == 1
    assert ledger.scalar("SELECT count(*) FROM ledger_entries WHERE reverses = :e", e=other) == 1


def _try(fn, *args):
    try:
        return fn(*args)
    except grpc.RpcError as error:
        return error.code()


# -- concurrency --------------------------------------------------------------------------

def test_concurrent_corrections_and_payments_never_lose_an_update(ledger, stub, producer):
    with ledger.begin() as conn:
        account = add_account(conn)
        opening = charge_months(conn, account, ledger.ids, 12)
        warm_up = add_account(conn)
    # The consumer is running before the race starts.
    first = payment_event(warm_up, 100, recipient_inn=UK)
    publish(producer, first)
    producer.flush()
    wait_until(lambda: ledger.scalar("SELECT count(*) FROM ledger_entries WHERE reference = :r", r=first.payment_id),
               timeout=60, message="the consumer running")

    rng = random.Random(7)
    corrections = [(rng.choice([UK, WATER, FUND]), rng.choice([-1, -1, 1]) * rng.randint(1_000, 90_000)) for _ in range(160)]
    payments = [payment_event(account, rng.randint(5_000, 80_000), recipient_inn=rng.choice(["", "", "", WATER]))
                for _ in range(60)]
    start = threading.Barrier(9)

    def post(chunk):
        start.wait()
        return [correct(stub, account, amount, inn=inn, reason="массовая правка") for inn, amount in chunk]

    def pay():
        start.wait()
        for event in payments:  # one by one, so that they interleave with the corrections
            publish(producer, event)
            producer.flush()
            time.sleep(0.005)

    with concurrent.futures.ThreadPoolExecutor(9) as pool:
        posted = [pool.submit(post, corrections[i::8]) for i in range(8)]
        pool.submit(pay).result()
        assert sum(len(f.result()) for f in posted) == len(corrections)
    wait_until(lambda: ledger.scalar("SELECT count(*) FROM ledger_entries WHERE account = :a AND kind = 'payment' "
                                     "AND reference NOT LIKE '%/%'", a=account) == len(payments),
               timeout=60, message="every payment booked")

    expected = opening + sum(a for _, a in corrections) - sum(p.amount_kopecks for p in payments)
    rows = ledger.entries(account)
    assert sum(r.amount_kopecks for r in rows) == expected
    b = balance(stub, account)
    assert b.total_kopecks == expected
    by_inn = {r.recipient_inn: r.kopecks for r in b.recipients}
    for inn in (UK, WATER, FUND):
        assert by_inn[inn] == sum(r.amount_kopecks for r in rows if r.recipient_id == ledger.ids[inn])
    for p in payments:
        parts = [r for r in rows if r.reference == p.payment_id or r.reference.startswith(p.payment_id + "/")]
        assert sum(r.amount_kopecks for r in parts) == -p.amount_kopecks
    # Each split was made on exactly the entries booked before it: the account lock serialised
    # every read-then-write, so replaying the ledger in id order gives the same splits.
    entries = [domain.LedgerEntry(id=r.id, account=account, recipient_id=r.recipient_id, kind=r.kind,
                                  amount=r.amount_kopecks, entry_date=r.entry_date, period=r.period,
                                  reference=r.reference, reverses=r.reverses) for r in rows]
    recipients = sorted(ledger.ids.values())
    for p in payments:
        if p.recipient_inn:
            continue
        parts = [e for e in entries if e.reference == p.payment_id or e.reference.startswith(p.payment_id + "/")]
        before = [e for e in entries if e.id < min(x.id for x in parts)]
        assert sorted((e.recipient_id, -e.amount) for e in parts) == domain.split_payment(p.amount_kopecks, before, recipients)


# -- property: balances and statements are sums of entries --------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("correction"), st.sampled_from([UK, WATER, FUND]),
                  st.integers(-200_000, 200_000).filter(bool), st.integers(0, 400)),
        st.tuples(st.just("payment"), st.sampled_from(["", UK, FUND]), st.integers(1, 300_000), st.integers(0, 400)),
        st.tuples(st.just("reversal"), st.integers(0, 30), st.just(0), st.just(0)),
    ),
    min_size=1, max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_balances_and_statement_closings_are_sums_of_entries(ledger, ops):
    with ledger.begin() as conn:
        account = add_account(conn)
        expected = charge_months(conn, account, ledger.ids, 3)
    booked: list[int] = []
    now = dt.datetime.now(dt.UTC)
    for kind, a, b, days_ago in ops:
        if kind == "correction":
            day = today() - dt.timedelta(days=days_ago)
            command = domain.correction(account, a, b, "проверка", "op", str(uuid.uuid4()), "", day.isoformat(), today())
            booked.append(ledger_handlers.post_correction(ledger.uow(), command).entry_id)
            expected += b
        elif kind == "payment":
            event = payment_event(account, b, a, paid_at=now - dt.timedelta(days=days_ago))
            booked.extend(ledger_handlers.post_payment(ledger.uow(), event, TZ))
            expected -= b
        elif booked:
            target = booked[a % len(booked)]
            amount = ledger.scalar("SELECT amount_kopecks FROM ledger_entries WHERE id = :i", i=target)
            try:
                result = ledger_handlers.reverse_entry(ledger.uow(), domain.reversal(target, "проверка", "op", today()))
            except Exception as error:  # reversed before: refused, nothing booked
                assert getattr(error, "code", "") == "entry.already_reversed"
            else:
                assert result.reverses == target
                expected -= amount
    rows = ledger.entries(account)
    assert sum(r.amount_kopecks for r in rows) == expected
    first, last = months_back(16), Period.of_date(today())
    statement = query_handlers.statement(ledger.uow(), query_domain.StatementQuery(account, first, last))
    for month in statement.months:
        as_of = domain.last_day(month.period)
        [b] = query_handlers.balances(ledger.uow(), query_domain.BalancesQuery((account,), as_of))
        assert b.found
        assert month.closing == b.total == sum(r.amount_kopecks for r in rows if r.entry_date <= as_of)
        for r in b.recipients:
            assert r.kopecks == sum(x.amount_kopecks for x in rows if x.entry_date <= as_of and x.recipient_id == r.recipient.id)
    assert statement.months[-1].closing == expected

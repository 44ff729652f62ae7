"""GetBalances, GetStatement, GetAccount and SearchAccounts against the accruals service as a
process over gRPC, on a fresh database seeded by direct SQL."""
from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import grpc
import pytest
import sqlalchemy as sa
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gorod.accruals.v1 import accruals_pb2, accruals_pb2_grpc
from gorod.common.v1 import common_pb2
from gorod_runtime import db

SERVICE = "accruals.service:AccrualsService"
D = dt.date
UK, WATER = "2221000001", "2221000002"
NAMES = {UK: "ООО «УК Центральная»", WATER: "ООО «Барнаульский водоканал»"}
HOUSES = {"h-1": "г. Барнаул, ул. Ленина, д. 10", "h-2": "г. Барнаул, пр. Строителей, д. 5",
          "h-3": "г. Бийск, ул. Ленинградская, д. 15"}
# number: (house, flat, owner)
ACCOUNTS = {
    "300000001": ("h-1", "12", "Иванов Иван Иванович"),
    "300000002": ("h-1", "13", "Петрова Анна Сергеевна"),
    "300000003": ("h-2", "5", "Иванова Мария Петровна"),
    "300000004": ("h-3", "1", "Сидоров Пётр Ильич"),
    "300000005": ("h-2", "7", "Кузнецов Олег Юрьевич"),
}
PREFIX_MANY = "3100"   # 25 accounts 310000000..310000024 for pagination
RICH = "300000001"     # the account with a ledger
EMPTY = "300000002"    # an account without entries


class Seed:
    ids: dict[str, int]
    entries: list[tuple]   # (recipient inn, kind, amount, date, reverses index)


@pytest.fixture(scope="module")
def database(make_database_module):
    url = make_database_module("accruals")
    engine = db.make_engine(url, pool_size=2)
    seed = Seed()
    with engine.begin() as conn:
        seed.ids = {inn: conn.execute(sa.text(
            "INSERT INTO organisations (inn, name, kind) VALUES (:i, :n, 'recipient') RETURNING id"),
            {"i": inn, "n": name}).scalar_one() for inn, name in NAMES.items()}
        for code, inn in (("maintenance", UK), ("cold_water", WATER), ("heating", UK)):
            conn.execute(sa.text("INSERT INTO services (code, name, kind, unit, method, recipient_id) "
                                 "VALUES (:c, :c, :c, 'm2', 'area', :r)"), {"c": code, "r": seed.ids[inn]})
        houses = {code: conn.execute(sa.text("INSERT INTO houses (code, address) VALUES (:c, :a) RETURNING id"),
                                     {"c": code, "a": address}).scalar_one() for code, address in HOUSES.items()}
        accounts = dict(ACCOUNTS) | {f"3100000{i:02d}": ("h-3", str(100 + i), "Смирнов С. С.") for i in range(25)}
        for number, (house, flat, owner) in accounts.items():
            premise = conn.execute(sa.text("INSERT INTO premises (house_id, number) VALUES (:h, :f) RETURNING id"),
                                   {"h": houses[house], "f": flat}).scalar_one()
            conn.execute(sa.text(
                "INSERT INTO accounts (number, els, premise_id, total_area, heated_area, living_area, residents, registered, "
                "owner_name, opened_on) VALUES (:n, '', :p, 54.30, 50.00, NULL, 3, 2, :o, '2019-05-01')"),
                {"n": number, "p": premise, "o": owner})
        for code, valid_to in (("maintenance", None), ("cold_water", None), ("heating", "2020-04-30")):
            conn.execute(sa.text("INSERT INTO account_services VALUES (:a, :s, '2019-05-01', :t)"),
                         {"a": RICH, "s": code, "t": valid_to})
        seed.entries = []

        def book(inn, kind, amount, day, reverses=None):
            entry_id = conn.execute(sa.text(
                "INSERT INTO ledger_entries (account, recipient_id, kind, amount_kopecks, entry_date, period, reverses, "
                "service_code, reason) VALUES (:a, :r, :k, :m, :d, :p, :rev, :s, :why) RETURNING id"),
                {"a": RICH, "r": seed.ids[inn], "k": kind, "m": amount, "d": day, "p": day.replace(day=1), "rev": reverses,
                 "s": "maintenance" if kind == "charge" and inn == UK else None, "why": kind}).scalar_one()
            seed.entries.append((entry_id, inn, kind, amount, day, reverses))
            return entry_id

        book(UK, "opening_balance", 50_000, D(2025, 12, 31))
        book(WATER, "opening_balance", -3_000, D(2025, 12, 31))
        book(UK, "charge", 120_000, D(2026, 1, 31))
        book(WATER, "charge", 40_000, D(2026, 1, 31))
        book(UK, "payment", -100_000, D(2026, 2, 10))
        wrong = book(WATER, "payment", -60_000, D(2026, 2, 10))
        book(WATER, "reversal", 60_000, D(2026, 2, 12), reverses=wrong)
        book(UK, "charge", 120_000, D(2026, 2, 28))
        book(WATER, "penalty", 150, D(2026, 3, 5))
        rng = random.Random(3)   # and a year of random movements for the property test
        for _ in range(60):
            day = D(2026, 4, 1) + dt.timedelta(days=rng.randint(0, 300))
            book(rng.choice([UK, WATER]), rng.choice(["charge", "payment", "correction", "penalty"]),
                 rng.randint(-90_000, 90_000) or 1, day)
    yield url, seed
    engine.dispose()


@pytest.fixture(scope="module")
def stub(database, start_service_module):
    url, _ = database
    service = start_service_module(SERVICE, url)
    with grpc.insecure_channel(service.address) as channel:
        yield accruals_pb2_grpc.AccrualsServiceStub(channel)


def error_code(error: grpc.RpcError) -> tuple:
    detail = common_pb2.ErrorDetail()
    rpc_status.from_call(error).details[0].Unpack(detail)
    return error.code(), detail.code


def refused(call, request) -> tuple:
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=10)
    return error_code(caught.value)


def period(year, month):
    return common_pb2.Period(year=year, month=month)


def statement(stub, account, first, last):
    return stub.GetStatement(accruals_pb2.GetStatementRequest(**{"account": account, "from": first, "to": last}), timeout=10)


# -- balances -----------------------------------------------------------------------------

def test_balances_per_recipient_as_of_a_date_in_request_order(stub):
    response = stub.GetBalances(accruals_pb2.GetBalancesRequest(
        accounts=[RICH, "999999999", EMPTY, RICH], as_of="2026-02-11"), timeout=10)
    rich, unknown, empty, again = response.balances
    assert [b.account for b in response.balances] == [RICH, "999999999", EMPTY, RICH]
    assert [(r.recipient_inn, r.recipient_name, r.kopecks) for r in rich.recipients] == [
        (UK, NAMES[UK], 50_000 + 120_000 - 100_000), (WATER, NAMES[WATER], -3_000 + 40_000 - 60_000)]
    assert (rich.found, rich.total_kopecks) == (True, 70_000 - 23_000)
    assert again == rich
    assert (unknown.found, unknown.total_kopecks, list(unknown.recipients)) == (False, 0, [])
    assert (empty.found, empty.total_kopecks, list(empty.recipients)) == (True, 0, [])
    # As of a date is inclusive: the reversal dated the 12th counts on the 12th.
    [b] = stub.GetBalances(accruals_pb2.GetBalancesRequest(accounts=[RICH], as_of="2026-02-12"), timeout=10).balances
    assert b.total_kopecks == 47_000 + 60_000
    [b] = stub.GetBalances(accruals_pb2.GetBalancesRequest(accounts=[RICH], as_of="2025-01-01"), timeout=10).balances
    assert (b.found, b.total_kopecks, list(b.recipients)) == (True, 0, [])


def test_balances_default_to_today_and_check_their_request(stub, database):
    _, seed = database
    [b] = stub.GetBalances(accruals_pb2.GetBalancesRequest(accounts=[RICH]), timeout=10).balances
    today = dt.datetime.now(ZoneInfo("Asia/Barnaul")).date()      # the service's GOROD_TZ
    assert b.total_kopecks == sum(e[3] for e in seed.entries if e[4] <= today)
    call = stub.GetBalances
    assert refused(call, accruals_pb2.GetBalancesRequest()) == (grpc.StatusCode.INVALID_ARGUMENT, "accounts.required")
    assert refused(call, accruals_pb2.GetBalancesRequest(accounts=["1"] * 1001)) == (
        grpc.StatusCode.INVALID_ARGUMENT, "accounts.too_many")
    assert refused(call, accruals_pb2.GetBalancesRequest(accounts=[RICH], as_of="11.02.2026")) == (
        grpc.StatusCode.INVALID_ARGUMENT, "date.invalid")
    assert refused(call, accruals_pb2.GetBalancesRequest(accounts=[""])) == (grpc.StatusCode.INVALID_ARGUMENT, "account.required")
    many = stub.GetBalances(accruals_pb2.GetBalancesRequest(accounts=[f"9{i:08d}" for i in range(999)] + [RICH]), timeout=10)
    assert [b.found for b in many.balances].count(True) == 1


# -- statements ---------------------------------------------------------------------------

def test_a_statement_has_opening_movements_running_and_closing_per_month(stub, database):
    _, seed = database
    s = statement(stub, RICH, period(2026, 1), period(2026, 3))
    jan, feb, mar = s.months
    assert s.account == RICH
    assert [(m.period.year, m.period.month) for m in s.months] == [(2026, 1), (2026, 2), (2026, 3)]
    assert (jan.opening_kopecks, jan.closing_kopecks) == (47_000, 207_000)
    assert [(m.kind, m.kopecks, m.running_kopecks, m.recipient_inn) for m in jan.movements] == [
        ("charge", 120_000, 167_000, UK), ("charge", 40_000, 207_000, WATER)]
    assert jan.movements[0].service_code == "maintenance" and jan.movements[0].date == "2026-01-31"
    assert feb.opening_kopecks == jan.closing_kopecks
    assert [(m.kind, m.kopecks, m.running_kopecks, m.reverses) for m in feb.movements] == [
        ("payment", -100_000, 107_000, 0), ("payment", -60_000, 47_000, 0),
        ("reversal", 60_000, 107_000, feb.movements[1].entry_id), ("charge", 120_000, 227_000, 0)]
    assert (mar.opening_kopecks, [m.kopecks for m in mar.movements], mar.closing_kopecks) == (227_000, [150], 227_150)
    # A month without movements still appears, with opening = closing.
    empty = statement(stub, EMPTY, period(2025, 11), period(2026, 1))
    assert [(m.opening_kopecks, len(m.movements), m.closing_kopecks) for m in empty.months] == [(0, 0, 0)] * 3


def test_a_statement_checks_its_request(stub):
    call = stub.GetStatement
    def req(**kw):
        return accruals_pb2.GetStatementRequest(**({"account": RICH, "from": period(2026, 1), "to": period(2026, 2)} | kw))
    assert refused(call, req(account="999999999")) == (grpc.StatusCode.NOT_FOUND, "account.not_found")
    assert refused(call, req(account="")) == (grpc.StatusCode.INVALID_ARGUMENT, "account.required")
    assert refused(call, req(**{"from": period(2026, 13)})) == (grpc.StatusCode.INVALID_ARGUMENT, "period.invalid")
    assert refused(call, req(**{"from": period(0, 0)})) == (grpc.StatusCode.INVALID_ARGUMENT, "period.required")
    assert refused(call, req(**{"from": period(2026, 3)})) == (grpc.StatusCode.INVALID_ARGUMENT, "statement.bad_range")
    assert refused(call, req(**{"from": period(2010, 1)})) == (grpc.StatusCode.INVALID_ARGUMENT, "statement.range_too_long")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.dates(D(2025, 10, 1), D(2027, 3, 1)), months=st.integers(0, 14), as_of=st.dates(D(2025, 10, 1), D(2027, 6, 1)))
def test_balances_and_statement_closings_are_sums_of_entries(stub, database, first, months, as_of):
    _, seed = database
    [b] = stub.GetBalances(accruals_pb2.GetBalancesRequest(accounts=[RICH], as_of=as_of.isoformat()), timeout=10).balances
    for inn in (UK, WATER):
        expected = [e[3] for e in seed.entries if e[1] == inn and e[4] <= as_of]
        got = [r.kopecks for r in b.recipients if r.recipient_inn == inn]
        assert got == ([sum(expected)] if expected else [])
    assert b.total_kopecks == sum(e[3] for e in seed.entries if e[4] <= as_of)

    start = period(first.year, first.month)
    end_month = first.month - 1 + months
    s = statement(stub, RICH, start, period(first.year + end_month // 12, end_month % 12 + 1))
    assert len(s.months) == months + 1
    for i, month in enumerate(s.months):
        last_day = D(month.period.year + month.period.month // 12, month.period.month % 12 + 1, 1) - dt.timedelta(days=1)
        assert month.closing_kopecks == sum(e[3] for e in seed.entries if e[4] <= last_day)
        if i:
            assert month.opening_kopecks == s.months[i - 1].closing_kopecks
        if month.movements:
            assert month.movements[-1].running_kopecks == month.closing_kopecks


# -- accounts and search ------------------------------------------------------------------

def test_get_account_shows_address_areas_and_current_services(stub):
    a = stub.GetAccount(accruals_pb2.GetAccountRequest(account=RICH), timeout=10).account
    assert (a.number, a.address, a.house_code, a.premise_number) == (RICH, "г. Барнаул, ул. Ленина, д. 10, кв. 12", "h-1", "12")
    assert (a.total_area, a.heated_area, a.living_area, a.residents, a.registered) == ("54.30", "50.00", "", 3, 2)
    assert (a.owner_name, a.status, a.opened_on, a.closed_on) == ("Иванов Иван Иванович", "open", "2019-05-01", "")
    assert list(a.services) == ["cold_water", "maintenance"]      # heating ended in 2020
    assert refused(stub.GetAccount, accruals_pb2.GetAccountRequest(account="999999999")) == (
        grpc.StatusCode.NOT_FOUND, "account.not_found")
    assert refused(stub.GetAccount, accruals_pb2.GetAccountRequest(account=" ")) == (
        grpc.StatusCode.INVALID_ARGUMENT, "account.required")


def search(stub, query, page_size=0, page_token=""):
    return stub.SearchAccounts(accruals_pb2.SearchAccountsRequest(query=query, page_size=page_size, page_token=page_token),
                               timeout=10)


def test_search_by_number_prefix_pages_with_a_cursor(stub):
    seen, token, pages = [], "", 0
    while True:
        page = search(stub, PREFIX_MANY, page_size=10, page_token=token)
        seen += [a.number for a in page.accounts]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages == 3
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 25
    assert all(n.startswith(PREFIX_MANY) for n in seen)
    assert [a.number for a in search(stub, "3000-0000").accounts] == sorted(ACCOUNTS)
    assert len(search(stub, "3").accounts) == 20                   # the default page size
    assert search(stub, "39").accounts == []


def test_search_by_owner_and_address_words(stub):
    def numbers(query):
        return [a.number for a in search(stub, query).accounts]

    assert numbers("Петрова") == ["300000002"]
    assert numbers("иванов") == ["300000001", "300000003"]         # case-insensitive, the beginning of a word
    assert numbers("АННА") == ["300000002"]                        # any word of the name
    assert numbers("ванов") == []                                  # not the inside of a word
    assert numbers("Строителей") == ["300000003", "300000005"]
    assert numbers("Ленина Иванов") == ["300000001"]               # every word must match
    assert numbers("Строителей 7") == ["300000005"]                # a number word: flat or house number
    assert numbers("Ленинградская 15 Сидоров") == ["300000004"]
    assert numbers("Бийск Смирнов")[:3] == ["310000000", "310000001", "310000002"]
    assert numbers("Нет такого") == []
    assert numbers("100%") == []                                   # LIKE specials are literal


def test_search_checks_its_request(stub):
    token = search(stub, PREFIX_MANY, page_size=5).next_page_token
    assert token
    call = stub.SearchAccounts
    assert refused(call, accruals_pb2.SearchAccountsRequest(query=" ")) == (grpc.StatusCode.INVALID_ARGUMENT, "search.query_required")
    assert refused(call, accruals_pb2.SearchAccountsRequest(query="1", page_size=101)) == (
        grpc.StatusCode.INVALID_ARGUMENT, "search.bad_page_size")
    assert refused(call, accruals_pb2.SearchAccountsRequest(query="Иванов", page_token=token)) == (
        grpc.StatusCode.INVALID_ARGUMENT, "search.bad_page_token")
    assert refused(call, accruals_pb2.SearchAccountsRequest(query="1", page_token="%%%")) == (
        grpc.StatusCode.INVALID_ARGUMENT, "search.bad_page_token")

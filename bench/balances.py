"""GetBalances for 100 accounts per call against a 1,000,000-account accruals database.

The database is built inside the run with psycopg 3 binary COPY: organisations (management
companies, a resource supplier, the capital-repair fund), houses, premises, accounts, their
services, and a ledger like the real one: opening balances, 12 months of charges for 2 or 3
recipients, a few payments (about 36 entries per account). FK checks are off while loading
(session_replication_role, or dropped and added back) and the ledger is written with COPY
FREEZE, so its pages are all-visible at once and balances are index-only scans.

Then the accruals service runs as a process and several client threads call GetBalances
over gRPC, each call for 100 random accounts as of today. The same-run baseline is the same
SQL for the same batches of 100 accounts through psycopg 3 from the same number of threads.

Figures: build_s (building the data, indexes and statistics), ledger_entries, build_rows_per_s,
balances_calls_per_s, balances_p50_ms, balances_p99_ms (target <= 50), sql_baseline_calls_per_s,
sql_baseline_p50_ms, sql_baseline_p99_ms.
"""
from __future__ import annotations

import datetime as dt
import random
import threading
import time
from decimal import Decimal

import grpc
import psycopg
from common import arguments, broker, database, emit, percentile, postgres, service

from accruals.domain import ledger as domain
from gorod.accruals.v1 import accruals_pb2, accruals_pb2_grpc
from gorod_runtime.period import Period

TZ = "Asia/Barnaul"
FIRST_NUMBER = 2_200_000_000       # account numbers 2200000000, 2200000001, ...
FLATS_PER_HOUSE = 50
MANAGEMENT_COMPANIES = 40
BATCH = 100
STREETS = ("ул. Ленина", "пр-кт Красноармейский", "ул. Строителей", "пр-кт Социалистический", "ул. Калинина",
           "Павловский тракт", "ул. Попова", "ул. Малахова", "ул. Взлётная", "ул. Юрина", "ул. Антона Петрова",
           "ул. Шукшина", "ул. Гоньбинская", "ул. Партизанская", "ул. Пролетарская", "ул. Молодёжная", "ул. Никитина",
           "ул. Папанинцев", "ул. Сизова", "ул. Островского", "ул. Матросова", "ул. Чкалова", "ул. Георгиева",
           "ул. Балтийская", "ул. Солнечная Поляна", "ул. Энтузиастов", "ул. Северо-Западная", "ул. Профинтерна",
           "ул. Горно-Алтайская", "ул. Эмилии Алексеевой", "ул. Лазурная", "ул. Власихинская", "ул. Кавалерийская",
           "ул. Советской Армии", "пр-кт Космонавтов")
SURNAMES = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
            "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
            "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв")
NAMES = ("Александр", "Сергей", "Владимир", "Елена", "Татьяна", "Ольга", "Наталья", "Андрей", "Алексей", "Ирина",
         "Дмитрий", "Светлана", "Николай", "Анна", "Мария", "Юрий", "Галина", "Виктор", "Людмила", "Игорь")
PATRONYMICS = ("Александрович", "Сергеевич", "Владимирович", "Николаевич", "Петрович", "Ивановна", "Викторовна",
               "Андреевна", "Юрьевна", "Михайловна")


def psycopg_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return "postgresql://" + rest


# -- building the database ------------------------------------------------------------------

class Shape:
    """Dates and recipients of the generated ledger: the 12 months before the current one."""

    def __init__(self):
        current = Period.of(dt.datetime.now(dt.UTC), TZ)
        months = []
        period = current
        for _ in range(12):
            period = Period(period.year - (period.month == 1), (period.month - 2) % 12 + 1)
            months.append(period)
        self.months = list(reversed(months))
        self.charge_days = [domain.last_day(p) for p in self.months]
        self.firsts = [p.first_day for p in self.months]
        self.opening_day = self.months[0].first_day - dt.timedelta(days=1)
        self.opening_period = self.opening_day.replace(day=1)
        self.pay_days = [[p.first_day + dt.timedelta(days=d) for d in range(9, 25)] for p in self.months]


def build(url: str, accounts: int, seed: int = 1) -> int:
    """Fill the migrated database; return the number of ledger entries."""
    rng = random.Random(seed)
    shape = Shape()
    houses = (accounts + FLATS_PER_HOUSE - 1) // FLATS_PER_HOUSE
    with psycopg.connect(psycopg_url(url), autocommit=False) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        dropped = _without_foreign_keys(conn)
        org_ids = _organisations(conn)
        mc_ids, supplier, fund = org_ids[:MANAGEMENT_COMPANIES], org_ids[-2], org_ids[-1]
        with conn.cursor().copy("COPY houses (id, code, address, total_area, common_area, management_company_id) "
                                "FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "text", "text", "numeric", "numeric", "int8"])
            for h in range(houses):
                street = STREETS[h % len(STREETS)]
                copy.write_row((h + 1, f"bench-{h:06d}", f"г. Барнаул, {street}, д. {h // len(STREETS) + 1}",
                                Decimal("2750.00"), Decimal("310.50"), mc_ids[h % MANAGEMENT_COMPANIES]))
        areas = [Decimal(f"{a}.{c:02d}") for a in range(28, 120, 3) for c in (0, 30, 75)]
        with conn.cursor().copy("COPY premises (id, house_id, number, rooms) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "int8", "text", "int2"])
            for i in range(accounts):
                copy.write_row((i + 1, i // FLATS_PER_HOUSE + 1, str(i % FLATS_PER_HOUSE + 1), 1 + i % 4))
        with conn.cursor().copy("COPY accounts (number, els, premise_id, total_area, heated_area, residents, registered, "
                                "owner_name, opened_on) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "text", "int8", "numeric", "numeric", "int2", "int2", "text", "date"])
            opened = dt.date(2015, 1, 1)
            for i in range(accounts):
                area = areas[i % len(areas)]
                owner = f"{SURNAMES[i % 27]} {NAMES[(i // 27) % 20]} {PATRONYMICS[(i // 540) % 10]}"
                copy.write_row((str(FIRST_NUMBER + i), f"{i:010d}", i + 1, area, area, 1 + i % 4, 1 + i % 3, owner, opened))
        with conn.cursor().copy("COPY account_services (account, service_code, valid_from) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "text", "date"])
            start = dt.date(2015, 1, 1)
            for i in range(accounts):
                number = str(FIRST_NUMBER + i)
                copy.write_row((number, f"maintenance_{(i // FLATS_PER_HOUSE) % MANAGEMENT_COMPANIES:02d}", start))
                copy.write_row((number, "cold_water", start))
                if i % 5 < 3:
                    copy.write_row((number, "capital_repair", start))
        conn.execute("SELECT setval(pg_get_serial_sequence('houses', 'id'), %s)", (houses,))
        conn.execute("SELECT setval(pg_get_serial_sequence('premises', 'id'), %s)", (accounts,))
        conn.commit()

        # The ledger: truncated and copied in one transaction, so COPY FREEZE marks it all-visible.
        conn.execute("TRUNCATE ledger_entries")
        entries = 0
        with conn.cursor().copy("COPY ledger_entries (id, account, recipient_id, kind, amount_kopecks, entry_date, period, "
                                "service_code, reference, created_by) FROM STDIN (FORMAT BINARY, FREEZE)") as copy:
            copy.set_types(["int8", "text", "int8", "text", "int8", "date", "date", "text", "text", "text"])
            write = copy.write_row
            for i in range(accounts):
                number = str(FIRST_NUMBER + i)
                mc = mc_ids[(i // FLATS_PER_HOUSE) % MANAGEMENT_COMPANIES]
                recipients = [(mc, 250_000 + (i % 97) * 1_500, f"maintenance_{(i // FLATS_PER_HOUSE) % MANAGEMENT_COMPANIES:02d}"),
                              (supplier, 60_000 + (i % 53) * 1_200, "cold_water")]
                if i % 5 < 3:
                    recipients.append((fund, 65_000 + (i % 7) * 5_000, "capital_repair"))
                r = rng.random()
                for rid, base, _ in recipients:
                    if rng.random() < 0.5:
                        entries += 1
                        write((entries, number, rid, "opening_balance", int(base * (rng.random() * 3 - 0.5)),
                               shape.opening_day, shape.opening_period, None, "", "import"))
                for m, day in enumerate(shape.charge_days):
                    first = shape.firsts[m]
                    season = 1.6 if first.month in (11, 12, 1, 2, 3) else 1.0
                    for rid, base, code in recipients:
                        entries += 1
                        write((entries, number, rid, "charge", int(base * season), day, first, code, "", "run"))
                for k in range(2 + int(r * 3)):                   # 2..4 payments
                    m = rng.randrange(12)
                    rid, base, _ = recipients[k % len(recipients)]
                    entries += 1
                    write((entries, number, rid, "payment", -int(base * (1 + rng.random() * 4)),
                           shape.pay_days[m][int(r * 16)], shape.firsts[m], None, f"bench-{i}-{k}", "payments"))
        conn.execute("SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), %s)", (entries,))
        conn.commit()
        _restore_foreign_keys(conn, dropped)
        conn.commit()
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        for table in ("organisations", "services", "houses", "premises", "accounts", "account_services"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
        conn.execute("ANALYZE ledger_entries")
    return entries


def _organisations(conn) -> list[int]:
    ids = []
    for n in range(MANAGEMENT_COMPANIES):
        ids.append(conn.execute(
            "INSERT INTO organisations (inn, kpp, name, kind) VALUES (%s, '222101001', %s, 'management_company') RETURNING id",
            (f"22{n + 1:08d}", f"ООО «УК Барнаул-{n + 1}»")).fetchone()[0])
        conn.execute("INSERT INTO services (code, name, kind, unit, method, recipient_id) "
                     "VALUES (%s, 'Содержание жилого помещения', 'maintenance', 'm2', 'area', %s)",
                     (f"maintenance_{n:02d}", ids[-1]))
    supplier = conn.execute("INSERT INTO organisations (inn, kpp, name, kind) VALUES ('2225018307', '222501001', "
                            "'ООО «Барнаульский водоканал»', 'supplier') RETURNING id").fetchone()[0]
    fund = conn.execute("INSERT INTO organisations (inn, kpp, name, kind) VALUES ('2221208913', '222101001', "
                        "'НО «Региональный оператор Алтайского края»', 'recipient') RETURNING id").fetchone()[0]
    conn.execute("INSERT INTO services (code, name, kind, unit, method, recipient_id) VALUES "
                 "('cold_water', 'Холодное водоснабжение', 'cold_water', 'm3', 'meter', %s), "
                 "('capital_repair', 'Взнос на капитальный ремонт', 'capital_repair', 'm2', 'area', %s)", (supplier, fund))
    return ids + [supplier, fund]


_LOADED = ("houses", "premises", "accounts", "account_services", "ledger_entries")


def _without_foreign_keys(conn) -> list[tuple[str, str, str]]:
    """Switch off FK checks for this session (superuser), else drop the FKs of the loaded tables
    and return them to be added back."""
    try:
        conn.execute("SET session_replication_role = replica")
        return []
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()
    rows = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)", (list(_LOADED),)).fetchall()
    for table, name, _ in rows:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return rows


def _restore_foreign_keys(conn, dropped) -> None:
    for table, name, definition in dropped:
        conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


# -- measuring ------------------------------------------------------------------------------

def batches(accounts: int, count: int, seed: int = 2) -> list[list[str]]:
    rng = random.Random(seed)
    return [[str(FIRST_NUMBER + rng.randrange(accounts)) for _ in range(BATCH)] for _ in range(count)]


def run_threads(threads: int, seconds: float, work) -> tuple[list[float], float]:
    """Run work(thread_index, deadline) -> latencies (ms) in threads; (all latencies, calls/s)."""
    results: list[list[float]] = [[] for _ in range(threads)]
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    pool = [threading.Thread(target=lambda i=i: results[i].extend(work(i, deadline))) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    samples = [s for r in results for s in r]
    return samples, len(samples) / elapsed


def grpc_work(address: str, work_batches: list[list[str]], threads: int):
    def work(index: int, deadline: float) -> list[float]:
        samples = []
        with grpc.insecure_channel(address) as channel:
            stub = accruals_pb2_grpc.AccrualsServiceStub(channel)
            n = index
            while time.monotonic() < deadline:
                request = accruals_pb2.GetBalancesRequest(accounts=work_batches[n % len(work_batches)])
                started = time.perf_counter()
                response = stub.GetBalances(request, timeout=10)
                samples.append((time.perf_counter() - started) * 1000)
                assert len(response.balances) == BATCH and response.balances[0].found
                n += threads
        return samples
    return work


# The service's balances SQL (accruals.storage.ledger), straight through psycopg 3.
_SQL_KNOWN = "SELECT number FROM accounts WHERE number = ANY(%s)"
_SQL_BALANCES = """
    SELECT s.account, o.id, o.inn, o.name, s.kopecks
      FROM (SELECT account, recipient_id, sum(amount_kopecks)::bigint AS kopecks
              FROM ledger_entries
             WHERE account = ANY(%s) AND entry_date <= %s
             GROUP BY account, recipient_id) AS s
      JOIN organisations AS o ON o.id = s.recipient_id
"""


def sql_work(url: str, work_batches: list[list[str]], threads: int):
    today = domain.today(TZ)

    def work(index: int, deadline: float) -> list[float]:
        samples = []
        with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
            n = index
            while time.monotonic() < deadline:
                accounts = list(dict.fromkeys(work_batches[n % len(work_batches)]))
                started = time.perf_counter()
                known = conn.execute(_SQL_KNOWN, (accounts,), prepare=True).fetchall()
                rows = conn.execute(_SQL_BALANCES, (accounts, today), prepare=True).fetchall()
                samples.append((time.perf_counter() - started) * 1000)
                assert known and rows
                n += threads
        return samples
    return work


def main() -> None:
    args = arguments(__doc__, accounts=(int, 1_000_000, "accounts in the database"),
                     threads=(int, 4, "client threads"), seconds=(float, 20.0, "seconds per measurement"))
    accounts = 100_000 if args.quick else args.accounts
    seconds = min(args.seconds, 8.0) if args.quick else args.seconds
    with postgres() as pg, broker() as kafka, database(pg, "accruals") as url:
        started = time.perf_counter()
        entries = build(url, accounts)
        build_s = time.perf_counter() - started
        work_batches = batches(accounts, 20_000)
        with service("accruals.service:AccrualsService", url, kafka, GOROD_RELAY_ENABLED="false") as accruals:
            run_threads(args.threads, 2.0, grpc_work(accruals.address, work_batches[::-1], args.threads))  # warm-up
            grpc_samples, grpc_rate = run_threads(args.threads, seconds, grpc_work(accruals.address, work_batches, args.threads))
        sql_samples, sql_rate = run_threads(args.threads, seconds, sql_work(url, work_batches, args.threads))
    emit("build_s", build_s, "s")
    emit("ledger_entries", entries, "entries")
    emit("build_rows_per_s", (entries + 4 * accounts) / build_s, "rows/s")
    emit("balances_calls_per_s", grpc_rate, "calls/s")
    emit("balances_p50_ms", percentile(grpc_samples, 50), "ms")
    emit("balances_p99_ms", percentile(grpc_samples, 99), "ms")
    emit("sql_baseline_calls_per_s", sql_rate, "calls/s")
    emit("sql_baseline_p50_ms", percentile(sql_samples, 50), "ms")
    emit("sql_baseline_p99_ms", percentile(sql_samples, 99), "ms")


if __name__ == "__main__":
    main()

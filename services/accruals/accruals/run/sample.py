"""A region to run, for tests and the benchmark (not used by the run itself).

`load_region` imports the files of `tools/demo_region.py` with the importer (the same code as
`python -m accruals.importer`), in the documented order. The demo region has no meter
readings, absences or payments; `add_readings`, `add_absences` and `add_payments` add them
with plain SQL, deterministically (from md5 of the account, never random()):

- readings: the registers of cold water, hot water and electricity of one account in
  `every` (chosen by a hash of its own, so that they spread evenly over any partitions), one
  reading per month for `months` periods up to the period, with consumption drawn around a
  norm-like volume per resident; `gap_share` of the registers miss this period's reading and
  as many miss the previous one (averages, catch-ups);
- absences: one person away for 17 days of the period, in one account of `every`;
- payments: in one account of `every` with an opening balance, a payment of half of it in the
  month before the period and, in one of `every` of those, another in the period (the
  penalty's payment path, the receipt's payments).
"""
from __future__ import annotations

import datetime as dt
import pathlib

import psycopg

from accruals.imports.apply import run_import
from gorod_runtime.imports.apply import connection_url
from gorod_runtime.period import Period

FILES = ("organisations", "services", "tariffs", "norms", "accounts", "opening_balances")
# A number in [0, 1) from md5 of an expression.
_UNIT = "(('x' || substr(md5({}), 1, 8))::bit(32)::bigint / 4294967296.0)"


def _one_in(column: str, salt: str) -> str:
    """SQL: true for one account in %(every)s, independent of the run's partitions (another hash)."""
    return f"(('x' || substr(md5({column} || '/{salt}'), 1, 8))::bit(32)::bigint %% %(every)s) = 0"


def load_region(db_url: str, folder: pathlib.Path | str, operator: str = "sample") -> dict:
    """Import the demo region's six files; {kind: report} (each must be applied)."""
    reports = {}
    for kind in FILES:
        report = run_import(db_url, kind, str(pathlib.Path(folder) / f"{kind}.csv"), operator=operator)
        if report.status != "applied":
            raise RuntimeError(f"import of {kind} was {report.status}: {[p.as_dict() for p in report.problems[:5]]}")
        reports[kind] = report
    return reports


def _months_back(period: Period, count: int) -> Period:
    index = period.year * 12 + period.month - 1 - count
    return Period(index // 12, index % 12 + 1)


def add_readings(db_url: str, period: Period, every: int = 2, months: int = 2, gap_share: float = 0.05) -> int:
    """Readings of the metered registers (see the module); the number of rows added."""
    first = _months_back(period, months - 1).first_day
    used = _UNIT.format("s.account || s.service_code || p.period")
    pick = _UNIT.format("s.account || s.service_code")
    statement = f"""
        INSERT INTO consumption (account, meter_id, zone, period, service, value, consumption, reading_id, submitted_at)
        SELECT account, meter_id, '', period, service_code,
               start + sum(used) OVER (PARTITION BY account, meter_id ORDER BY period), used,
               md5(meter_id || period)::uuid, period + interval '22 days'
        FROM (
            SELECT s.account, s.account || '-' || s.service_code AS meter_id, s.service_code, p.period::date AS period,
                   round((CASE s.service_code WHEN 'electricity' THEN 60 + 70 * a.residents ELSE 1 + 2.5 * a.residents END
                          * (0.6 + 0.8 * {used}))::numeric, CASE s.service_code WHEN 'electricity' THEN 0 ELSE 3 END) AS used,
                   round((1000 * {pick})::numeric, 3) AS start, {pick} AS skip
            FROM account_services s JOIN accounts a ON a.number = s.account
            CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 month') AS p(period)
            WHERE s.service_code IN ('cold_water', 'hot_water', 'electricity') AND {_one_in('s.account', 'metered')}
        ) x
        WHERE NOT (period = %(last)s AND skip < %(gap)s)
          AND NOT (period = %(prev)s AND skip >= %(gap)s AND skip < 2 * %(gap)s)"""
    with psycopg.connect(connection_url(db_url)) as conn:
        cur = conn.execute(statement, {"first": first, "last": period.first_day, "every": every, "gap": gap_share,
                                       "prev": _months_back(period, 1).first_day})
        count = cur.rowcount
        conn.execute("ANALYZE consumption")
    return count


def add_absences(db_url: str, period: Period, every: int = 100) -> int:
    start = period.first_day
    with psycopg.connect(connection_url(db_url)) as conn:
        cur = conn.execute("""
            INSERT INTO absence_periods (account, persons, departed_on, returned_on, document)
            SELECT number, 1, %(departed)s, %(returned)s, 'справка о временном отсутствии' FROM accounts
            WHERE closed_on IS NULL AND """ + _one_in("number", "absent"),
                           {"departed": start + dt.timedelta(days=2), "returned": start + dt.timedelta(days=19), "every": every})
        return cur.rowcount


def add_benefits(db_url: str, period: Period, every: int = 10) -> int:
    """Benefit holders in one account of `every` (two thirds «ветеран труда», 50 % on housing and
    utilities, cash equivalent — the Altai default; one third a legacy discount category, 30 % on
    utilities), and a subsidy decision in one account of 3 * `every`; the holders added."""
    start = period.first_day
    with psycopg.connect(connection_url(db_url)) as conn:
        conn.execute("""
            INSERT INTO benefit_categories (code, name, discount_pct, mode, service_kinds) VALUES
            ('veteran_of_labour', 'ветеран труда (закон АК 156-ЗС)', 50, 'cash_equivalent',
             ARRAY['maintenance', 'capital_repair', 'heating', 'cold_water', 'hot_water', 'sewage', 'electricity', 'gas']),
            ('legacy_discount', 'льгота со скидкой (прежний порядок)', 30, 'discount',
             ARRAY['cold_water', 'hot_water', 'sewage', 'electricity', 'heating'])
            ON CONFLICT (code) DO NOTHING""")
        cur = conn.execute("""
            INSERT INTO benefit_holders (account, category_code, person_name, persons, valid_from)
            SELECT number, CASE WHEN (('x' || substr(md5(number || '/discount'), 1, 8))::bit(32)::bigint %% 3) = 0
                                THEN 'legacy_discount' ELSE 'veteran_of_labour' END, 'Льготник', 1, %(since)s
            FROM accounts WHERE closed_on IS NULL AND residents > 0 AND """ + _one_in("number", "benefit"),
                           {"since": start - dt.timedelta(days=365), "every": every})
        holders = cur.rowcount
        conn.execute("""
            INSERT INTO subsidy_decisions (account, valid_from, valid_to, family_members, family_income_kopecks,
                                           standard_cost_kopecks, max_share_pct, subsistence_minimum_kopecks)
            SELECT number, %(since)s, %(until)s, greatest(residents, 1), 800000 * greatest(residents, 1), 350000, 22, 1700000
            FROM accounts WHERE closed_on IS NULL AND """ + _one_in("number", "subsidy"),
                     {"since": start - dt.timedelta(days=60), "until": start + dt.timedelta(days=120), "every": every * 3})
        return holders


def add_payments(db_url: str, period: Period, every: int = 10) -> int:
    """Payments of part of the opening balances (see the module); the entries added."""
    before = _months_back(period, 1).first_day + dt.timedelta(days=14)
    during = period.first_day + dt.timedelta(days=9)
    with psycopg.connect(connection_url(db_url)) as conn:
        cur = conn.execute("""
            INSERT INTO ledger_entries (account, recipient_id, kind, amount_kopecks, entry_date, period, reason, reference,
                                        created_by)
            SELECT e.account, e.recipient_id, 'payment', -(e.amount_kopecks / 2), d.day, date_trunc('month', d.day)::date,
                   'sample', 'sample-payment:' || e.id || ':' || d.n, 'payments'
            FROM ledger_entries e
            CROSS JOIN (VALUES (1, %(before)s::date), (2, %(during)s::date)) AS d(n, day)
            WHERE e.kind = 'opening_balance' AND e.amount_kopecks > 1 AND """ + _one_in("e.account", "paid") + """
              AND (d.n = 1 OR """ + _one_in("e.account", "paid twice") + ")",
                           {"before": before, "during": during, "every": every})
        return cur.rowcount

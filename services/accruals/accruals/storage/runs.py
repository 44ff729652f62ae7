"""The monthly run's SQL (psycopg 3, outside nameko): inputs by chunk, runs, lines, close.

Every statement that reads a partition's accounts bounds them by an account range (lo, hi]
(the chunk just read, in account order) and keeps the accounts of the worker's slot with
`account_partition(account, slots) = slot` (migration 0004), applied once per account (after
grouping), never once per row of a large table.
"""
from __future__ import annotations

import datetime as dt
import json

import psycopg
from psycopg import sql

from accruals.domain import benefits as bn

# pg_advisory_lock(PERIOD_LOCK, yyyymm): a run holds it shared, `close` exclusively.
PERIOD_LOCK = 0x52554E          # "RUN"
SESSION_SETTINGS = (
    "SET work_mem = '128MB'",
    "SET jit = off",
    "SET DateStyle = ISO",
    "SET application_name = 'gorod-accruals-run'",
)


def connect(url: str, **kwargs) -> psycopg.Connection:
    conn = psycopg.connect(url, **kwargs)
    with conn.cursor() as cur:
        for statement in SESSION_SETTINGS:
            cur.execute(statement)
    conn.commit()
    return conn


def lock_key(period: dt.date) -> int:
    return period.year * 100 + period.month


# -- reference data -----------------------------------------------------------------------

def services(cur) -> list[tuple]:
    cur.execute("""SELECT s.code, s.name, s.kind, s.unit, s.method, s.recipient_id, o.inn
                   FROM services s JOIN organisations o ON o.id = s.recipient_id ORDER BY s.code""")
    return cur.fetchall()


def tariffs(cur) -> list[tuple]:
    cur.execute("""SELECT service_code, scope, variant, zone, component, range_from::text, range_to::text, valid_from,
                          valid_to, rate::text
                   FROM tariffs ORDER BY service_code, scope, variant, zone, component, range_from, valid_from""")
    return cur.fetchall()


def norms(cur) -> list[tuple]:
    cur.execute("""SELECT service_code, variant, rooms, residents, valid_from, valid_to, value::text, unit
                   FROM norms ORDER BY service_code, variant, rooms, residents, valid_from""")
    return cur.fetchall()


def houses(cur) -> list[tuple]:
    cur.execute("""SELECT id, code, settlement, electric_stove, heating_from, heating_to, has_heat_meter,
                          total_area::text, common_area::text FROM houses""")
    return cur.fetchall()


def house_areas(cur) -> dict[int, str]:
    """S_об of houses without a stored total area: the sum of their accounts' areas."""
    cur.execute("""SELECT p.house_id, sum(a.total_area)::text FROM accounts a JOIN premises p ON p.id = a.premise_id
                   JOIN houses h ON h.id = p.house_id WHERE h.total_area IS NULL AND a.closed_on IS NULL
                   GROUP BY p.house_id""")
    return dict(cur.fetchall())


# -- inputs: one statement, streamed ----------------------------------------------------------

# Every input of every account of the partition in one statement, one text line per account,
# streamed in account order: each table is read once along its index on the account (merge
# joins of ordered scans, no sort and no hash to build first), so the first accounts reach the
# workers at once and the server's reading overlaps with the computing.
#   house_id, number, total_area, heated_area, residents, registered, meter_installable, rooms,
#   services "code,code,…", readings, absences, ledger entries (these three NULL when none).
# Readings: "service␟meter␟zone␟period␟value␟consumption" records joined by ␞; a register with
# readings this period and the previous one sends those two, any other its whole window (the
# last HISTORY_MONTHS periods: п.59 averages and catch-ups). Absences overlapping the period:
# "persons␟from␟to␟document". Entries: the ledger entries up to the period's last day of the
# (account, recipient) pairs that may owe a late debt (debts of two and more periods back,
# less all credits before the period): "recipient␟id␟kind␟kopecks␟date␟period␟reverses".
INPUTS = """
    WITH s AS (
        SELECT account, string_agg(service_code, ',') AS codes FROM account_services
        WHERE valid_from <= %(last)s AND (valid_to IS NULL OR valid_to >= %(first)s)
        GROUP BY account),
    rr AS (
        SELECT account, string_agg(concat_ws(E'\\x1f', service, meter_id, zone, period, value, consumption), E'\\x1e')
                   AS readings
        FROM (SELECT c.*, count(*) FILTER (WHERE c.period >= %(prev)s) OVER (PARTITION BY c.account, c.meter_id, c.zone)
                         AS recent
              FROM consumption c WHERE c.period >= %(since)s AND c.period <= %(first)s) x
        WHERE recent < 2 OR period >= %(prev)s
        GROUP BY account),
    ab AS (
        SELECT account, string_agg(concat_ws(E'\\x1f', persons, departed_on, returned_on, document), E'\\x1e') AS absences
        FROM absence_periods WHERE departed_on <= %(last)s AND returned_on >= %(first)s
        GROUP BY account),
    en AS (
        SELECT account, string_agg(concat_ws(E'\\x1f', recipient_id, id, kind, amount_kopecks, entry_date, period,
                                             coalesce(reverses, 0)), E'\\x1e') FILTER (WHERE late > 0) AS entries,
               string_agg(service_code, ',') FILTER (WHERE imported) AS imported
        FROM (SELECT e.*,
                     coalesce(sum(amount_kopecks) FILTER (WHERE amount_kopecks > 0 AND entry_date < %(prev)s) OVER w, 0)
                     + coalesce(sum(amount_kopecks) FILTER (WHERE amount_kopecks < 0 AND entry_date < %(first)s) OVER w, 0)
                         AS late,
                     -- a charge a housing company computed itself (`import charges`) for this period, not
                     -- reversed since (an import of 0 or an operator's reversal: the run computes it again)
                     kind = 'charge' AND period = %(first)s AND service_code IS NOT NULL AND reference LIKE 'charge:%%'
                         AND NOT EXISTS (SELECT FROM ledger_entries r WHERE r.reverses = e.id) AS imported
              FROM ledger_entries e WHERE entry_date <= %(last)s
              WINDOW w AS (PARTITION BY account, recipient_id)) x
        WHERE late > 0 OR imported
        GROUP BY account),
    bh AS (
        SELECT h.account, string_agg(concat_ws(E'\\x1f', h.id, c.discount_pct, c.mode, array_to_string(c.service_kinds, ','),
                                               h.persons, c.code), E'\\x1e' ORDER BY h.id) AS holders
        FROM benefit_holders h JOIN benefit_categories c ON c.code = h.category_code
        WHERE h.valid_from <= %(last)s AND (h.valid_to IS NULL OR h.valid_to >= %(first)s)
        GROUP BY h.account),
    sd AS (
        SELECT account, string_agg(concat_ws(E'\\x1f', family_members, family_income_kopecks, standard_cost_kopecks,
                                             max_share_pct, subsistence_minimum_kopecks), E'\\x1e' ORDER BY valid_from DESC)
                   AS subsidy
        FROM subsidy_decisions WHERE valid_from <= %(last)s AND valid_to >= %(first)s
        GROUP BY account)
    SELECT p.house_id, a.number, a.total_area, a.heated_area, a.residents, a.registered, a.meter_installable,
           coalesce(p.rooms, 0), s.codes, rr.readings, ab.absences, en.entries,
           CASE WHEN a.opened_on > %(first)s OR a.closed_on < %(last)s
                THEN a.opened_on || '/' || coalesce(a.closed_on::text, '') END AS open_days,
           en.imported, bh.holders, sd.subsidy
    FROM accounts a JOIN premises p ON p.id = a.premise_id JOIN s ON s.account = a.number
    LEFT JOIN rr ON rr.account = a.number LEFT JOIN ab ON ab.account = a.number LEFT JOIN en ON en.account = a.number
    LEFT JOIN bh ON bh.account = a.number LEFT JOIN sd ON sd.account = a.number
    WHERE a.opened_on <= %(last)s AND (a.closed_on IS NULL OR a.closed_on >= %(first)s) {partition}
    ORDER BY a.number
"""
# The plan that streams: ordered index scans, merge joins, sort-free aggregates, premises by
# key. (A hash- and sort-based plan reads less but returns nothing for its first ~15 s on a
# million accounts, while the workers wait.)
READER_SETTINGS = (
    "SET work_mem = '256MB'",
    "SET max_parallel_workers_per_gather = 0",   # the run's own processes use the cores
    "SET enable_hashagg = off",
    "SET enable_hashjoin = off",
    "SET enable_sort = off",
    "SET enable_bitmapscan = off",
)


def inputs_statement(part: int, parts: int) -> sql.Composed:
    partition = sql.SQL("") if parts == 1 else sql.SQL("AND account_partition(a.number, {}) = {}").format(
        sql.Literal(parts), sql.Literal(part))
    return sql.SQL("COPY ({}) TO STDOUT").format(sql.SQL(INPUTS).format(partition=partition))


# The run's lines that are never owed (cash equivalents, subsidies), and those whose volumes are
# not consumption (every benefit and subsidy line), as SQL lists of the methods.
NOT_OWED = sql.SQL(", ").join(map(sql.Literal, sorted(bn.INFORMATIONAL_LINES)))
_NOT_CONSUMPTION = ", ".join(f"'{method}'" for method in sorted(bn.INFORMATIONAL_LINES | {bn.BENEFIT_LINE}))

# What earlier periods billed for registers without readings (history of п.59): the lines of
# the closed runs of those periods, per account, service, zone and period.
_BILLED = """
    SELECT l.account, l.service_code, l.zone, r.period, l.run_id, min(l.method), sum(l.volume)::text
    FROM charge_lines l JOIN runs r ON r.id = l.run_id
    WHERE r.status = 'closed' AND r.period >= %(since)s AND r.period < %(first)s AND l.account = ANY(%(accounts)s)
      AND l.component IN ('', 'carrier') AND NOT l.recalculation
      AND l.method NOT IN ('penalty', """ + _NOT_CONSUMPTION + """)   -- benefits' volumes are not consumption
    GROUP BY l.account, l.service_code, l.zone, r.period, l.run_id"""


def billed(cur, params) -> list[tuple]:
    cur.execute(_BILLED, params)
    return cur.fetchall()


def closed_runs(cur, since: dt.date, first: dt.date) -> list[tuple]:
    """(id, period, part, parts) of the closed runs of the periods [since, first)."""
    cur.execute("SELECT id, period, part, parts FROM runs WHERE status = 'closed' AND period >= %s AND period < %s",
                (since, first))
    return cur.fetchall()


# -- runs -------------------------------------------------------------------------------------

def period_status(cur, period: dt.date) -> str | None:
    cur.execute("SELECT status FROM periods WHERE period = %s", (period,))
    row = cur.fetchone()
    return row[0] if row else None


def open_period_draft(cur, period: dt.date) -> None:
    """The period becomes a draft (it has runs) unless it is already a draft or closed."""
    cur.execute("""INSERT INTO periods (period, status) VALUES (%s, 'draft')
                   ON CONFLICT (period) DO UPDATE SET status = 'draft' WHERE periods.status = 'open'""", (period,))


def create_run(cur, period: dt.date, part: int, parts: int, settings: dict, settings_hash: str, operator: str) -> int:
    """A new run (status running) and its lines table: standalone and without indexes, so that
    COPY only appends; `attach_lines` indexes it (one sort) and makes it the run's partition of
    charge_lines, so nobody reads half-written lines."""
    cur.execute("""INSERT INTO runs (period, part, parts, status, settings, settings_hash, created_by)
                   VALUES (%s, %s, %s, 'running', %s, %s, %s) RETURNING id""",
                (period, part, parts, json.dumps(settings, ensure_ascii=False), settings_hash, operator))
    run_id = cur.fetchone()[0]
    table = sql.Identifier(lines_table(run_id))
    cur.execute(sql.SQL("CREATE TABLE {} (LIKE charge_lines INCLUDING DEFAULTS)").format(table))
    # Lets ATTACH skip its scan of the table.
    cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK (run_id = {})").format(
        table, sql.Identifier(lines_table(run_id) + "_run"), sql.Literal(run_id)))
    return run_id


def attach_lines(cur, run_id: int) -> None:
    """Index the run's lines (one sort, parallel) and attach them as the run's partition of charge_lines."""
    table = sql.Identifier(lines_table(run_id))
    cur.execute("SET maintenance_work_mem = '1GB'")
    cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY (account, line_no, run_id)").format(
        table, sql.Identifier(lines_table(run_id) + "_pkey")))
    cur.execute(sql.SQL("ALTER TABLE charge_lines ATTACH PARTITION {} FOR VALUES IN ({})").format(table, sql.Literal(run_id)))
    cur.execute("RESET maintenance_work_mem")


def lines_table(run_id: int) -> str:
    return f"charge_lines_r{int(run_id)}"


def copy_lines_statement(run_id: int) -> sql.Composed:
    return sql.SQL("COPY {} (run_id, account, line_no, service_code, recipient_id, component, zone, band, method, volume, "
                   "unit, tariff, amount_kopecks, recalculation, reason, shape, facts) FROM STDIN").format(
        sql.Identifier(lines_table(run_id)))


def store_shapes(cur, shapes: dict[int, dict]) -> None:
    if shapes:
        cur.executemany("INSERT INTO explanation_shapes (id, body) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING",
                        [(sid, json.dumps(body, ensure_ascii=False)) for sid, body in shapes.items()])


def finish_run(cur, run_id: int, stats: dict) -> None:
    cur.execute("""UPDATE runs SET status = 'draft', finished_at = now(), accounts = %(accounts)s, lines = %(lines)s,
                          charges_kopecks = %(charges)s, penalties_kopecks = %(penalties)s, errors = %(errors)s,
                          problems = %(problems)s
                   WHERE id = %(id)s""",
                {**stats, "id": run_id, "problems": json.dumps(stats["problems"], ensure_ascii=False)})
    cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(lines_table(run_id))))


def fail_run(cur, run_id: int) -> None:
    cur.execute("UPDATE runs SET status = 'failed', finished_at = now() WHERE id = %s", (run_id,))
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(lines_table(run_id))))


def runs_of(cur, period: dt.date, statuses: tuple[str, ...] | None = None) -> list[dict]:
    cur.execute("""SELECT id, period, part, parts, status, started_at, finished_at, accounts, lines, charges_kopecks,
                          penalties_kopecks, errors, problems, settings_hash, created_by
                   FROM runs WHERE period = %s ORDER BY id""", (period,))
    names = [d.name for d in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    return [r for r in rows if statuses is None or r["status"] in statuses]


def set_status(cur, run_ids: list[int], status: str) -> None:
    if run_ids:
        cur.execute("UPDATE runs SET status = %s WHERE id = ANY(%s)", (status, run_ids))


def drop_lines(cur, run_id: int) -> None:
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(lines_table(run_id))))


# -- close --------------------------------------------------------------------------------------

def uncovered_accounts(cur, period: dt.date, last: dt.date, covers: list[tuple[int, int]], limit: int = 10) -> tuple[int, list]:
    """Accounts charged in the period that no run in `covers` [(part, parts)] covers."""
    if (1, 1) in covers:            # a run of the whole region covers every account
        return 0, []
    condition = sql.SQL(" OR ").join(
        sql.SQL("account_partition(a.number, {}) = {}").format(sql.Literal(parts), sql.Literal(part))
        for part, parts in covers) if covers else sql.SQL("false")
    query = sql.SQL("""SELECT a.number FROM accounts a WHERE a.opened_on <= %(last)s
                       AND (a.closed_on IS NULL OR a.closed_on >= %(first)s) AND NOT ({})""").format(condition)
    cur.execute(sql.SQL("SELECT count(*), (array_agg(number ORDER BY number))[1:%(limit)s] FROM ({}) x").format(query),
                {"first": period, "last": last, "limit": limit})
    count, sample = cur.fetchone()
    return count, list(sample or [])


def masked(newer: list[tuple[int, int]]) -> sql.Composable:
    """SQL: the line's account is covered by one of the `newer` partitions [(part, parts)]."""
    if not newer:
        return sql.SQL("false")
    return sql.SQL(" OR ").join(sql.SQL("account_partition(l.account, {}) = {}").format(sql.Literal(parts), sql.Literal(part))
                                for part, parts in newer)


def unmasked_lines(cur, run_id: int, newer: list[tuple[int, int]]) -> bool:
    """Whether some line of the run is of an account no newer run covers."""
    cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {} l WHERE NOT ({}))").format(
        sql.Identifier(lines_table(run_id)), masked(newer)))
    return bool(cur.fetchone()[0])


def post_batch(cur, run_id: int, newer: list[tuple[int, int]], period: dt.date, last: dt.date, lo: str,
               hi: str | None, resume: bool = False) -> int:
    """Book the run's lines of accounts in (lo, hi] (not masked by a newer run) as ledger entries:
    one `charge` and at most one `penalty` entry per account and recipient, `created_by` =
    ``run:<run id>``, no reference (the run and the account name their source; a unique
    reference per entry cost a third of the posting). Returns the entries booked.

    `resume` (a close that stopped half-way): a batch is one transaction, so an account's
    entries were booked all or none; an account that has an entry of the run already is left
    out (whatever the batches of the stopped close were)."""
    params = {"lo": lo, "hi": hi, "period": period, "last": last, "by": f"run:{run_id}"}

    def in_batch(column: str) -> sql.Composable:
        column = sql.SQL(column)
        if hi is None:
            return sql.SQL("{} > %(lo)s").format(column)
        return sql.SQL("{} > %(lo)s AND {} <= %(hi)s").format(column, column)

    posted = sql.SQL("""AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.account = l.account
                                                      AND e.created_by = %(by)s AND e.period = %(period)s)""")
    lines = sql.SQL("""
        SELECT l.account, l.recipient_id, CASE WHEN l.method = 'penalty' THEN 'penalty' ELSE 'charge' END AS kind,
               sum(l.amount_kopecks) AS amount
        FROM {table} l WHERE {in_batch} AND NOT ({masked}) {posted}
          AND l.method NOT IN ({not_owed})   -- informational: paid by УСЗН, never owed
        GROUP BY 1, 2, 3 HAVING sum(l.amount_kopecks) <> 0""").format(
        table=sql.Identifier(lines_table(run_id)), in_batch=in_batch("l.account"), masked=masked(newer),
        posted=posted if resume else sql.SQL(""), not_owed=NOT_OWED)
    # Like every writer of an account's ledger, the accounts' row locks first, in account order
    # (so a payment's split is made on exactly the entries booked before it); every account of
    # the range, found by one index range scan (~10% of the close).
    cur.execute(sql.SQL("SELECT 1 FROM accounts WHERE {} ORDER BY number FOR NO KEY UPDATE").format(in_batch("number")),
                params)
    cur.execute(sql.SQL("""
        INSERT INTO ledger_entries (account, recipient_id, kind, amount_kopecks, entry_date, period, service_code, reason,
                                    created_by)
        SELECT account, recipient_id, kind, amount, %(last)s, %(period)s, NULL, '', %(by)s
        FROM ({lines}) l ORDER BY account, recipient_id, kind""").format(lines=lines), params)
    return cur.rowcount


def batch_bounds(cur, size: int) -> list[str]:
    """Every `size`-th account number: the upper bounds of the close's batches (of accounts, not
    of the run's lines: the ranges only have to cover them all; the accounts' key answers in
    ~0.2 s for a million, the distinct accounts of 9 million lines took 2 s)."""
    cur.execute("""SELECT number FROM (SELECT number, row_number() OVER (ORDER BY number) AS n FROM accounts) x
                   WHERE n %% %s = 0 ORDER BY number""", (size,))
    return [row[0] for row in cur.fetchall()]


def close_period(cur, period: dt.date) -> None:
    cur.execute("UPDATE periods SET status = 'closed', closed_at = now() WHERE period = %s", (period,))


def mark_closing(cur, period: dt.date) -> None:
    cur.execute("""INSERT INTO periods (period, status) VALUES (%s, 'closing')
                   ON CONFLICT (period) DO UPDATE SET status = 'closing'""", (period,))

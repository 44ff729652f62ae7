"""Accruals' merges: per kind, the staging table's columns, the set-based checks and the merge
into the service's tables (the machinery is the kit's `gorod_runtime.imports.merge`).

The ledger is never updated: a changed amount books a reversal of the current entry and a new
entry (see `LedgerMerge`).
"""
from __future__ import annotations

from psycopg import errors

from gorod_runtime.imports.merge import (
    COPY_OPTIONS,
    STAGE,
    Merge,
    StageWriter,
    bulk_begin,
    bulk_end,
    changed_count,
    duplicates,
    execute,
    keyed,
    report,
)

# -- reference data ----------------------------------------------------------------------------

class OrganisationsMerge(Merge):
    kind = "organisations"
    columns = "inn text, kpp text, name text, kind text, bank_account text, bank_name text, bic text, corr_account text"

    def check(self, cur, ctx, problems):
        duplicates(cur, problems, ("inn", "kpp"), "INN and KPP")

    def apply(self, cur, ctx, problems):
        return changed_count(cur, f"""
            INSERT INTO organisations AS o (inn, kpp, name, kind, bank_account, bank_name, bic, corr_account)
            SELECT inn, kpp, name, kind, bank_account, bank_name, bic, corr_account FROM {STAGE}
            ON CONFLICT (inn, kpp) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
                bank_account = EXCLUDED.bank_account, bank_name = EXCLUDED.bank_name, bic = EXCLUDED.bic,
                corr_account = EXCLUDED.corr_account
            WHERE (o.name, o.kind, o.bank_account, o.bank_name, o.bic, o.corr_account)
                IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.bank_account, EXCLUDED.bank_name, EXCLUDED.bic,
                                  EXCLUDED.corr_account)""")


class ServicesMerge(Merge):
    kind = "services"
    columns = "code text, name text, kind text, unit text, method text, recipient_id bigint"

    def check(self, cur, ctx, problems):
        duplicates(cur, problems, ("code",), "service code")

    def apply(self, cur, ctx, problems):
        return changed_count(cur, f"""
            INSERT INTO services AS v (code, name, kind, unit, method, recipient_id)
            SELECT code, name, kind, unit, method, recipient_id FROM {STAGE}
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, unit = EXCLUDED.unit,
                method = EXCLUDED.method, recipient_id = EXCLUDED.recipient_id
            WHERE (v.name, v.kind, v.unit, v.method, v.recipient_id)
                IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.unit, EXCLUDED.method, EXCLUDED.recipient_id)""")


class _ValidityMerge(Merge):
    """Tariffs and norms: rows of one group must not overlap in validity (and volume range)."""

    table = ""
    constraint = ""
    key: tuple[str, ...] = ()           # natural key (the unique constraint)
    group: tuple[str, ...] = ()         # rows of one group must not overlap
    values: tuple[str, ...] = ()        # updated on a key match
    ranges = False                      # tariffs: volume ranges [range_from, range_to)

    def _overlap(self, a: str, b: str) -> str:
        same = " AND ".join(f"{a}.{c} = {b}.{c}" for c in self.group)
        condition = (f"{same} AND daterange({a}.valid_from, {a}.valid_to, '[]') && daterange({b}.valid_from, {b}.valid_to, '[]')")
        if self.ranges:
            condition += f" AND numrange({a}.range_from, {a}.range_to, '[)') && numrange({b}.range_from, {b}.range_to, '[)')"
        return condition

    def check(self, cur, ctx, problems):
        duplicates(cur, problems, self.key, "key (" + ", ".join(self.key) + ")")
        # Overlaps within the file (a later line against an earlier one; duplicates excluded).
        report(cur, problems, f"""
            SELECT a.line, min(b.line) FROM {STAGE} a JOIN {STAGE} b ON b.line < a.line AND {self._overlap('a', 'b')}
            WHERE ({', '.join('a.' + c for c in self.key)}) IS DISTINCT FROM ({', '.join('b.' + c for c in self.key)})
            GROUP BY a.line""", None, "valid_from", "import.overlap",
            lambda r: f"overlaps the {self.kind[:-1]} on line {r[1]}")
        # Overlaps with database rows that the file does not replace (same key = replaced).
        report(cur, problems, f"""
            SELECT a.line, min(t.valid_from) FROM {STAGE} a JOIN {self.table} t ON {self._overlap('a', 't')}
            WHERE NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE ({', '.join('s.' + c for c in self.key)})
                                                              = ({', '.join('t.' + c for c in self.key)}))
            GROUP BY a.line""", None, "valid_from", "import.overlap",
            lambda r: f"overlaps the {self.kind[:-1]} valid from {r[1]} already in the database")

    def apply(self, cur, ctx, problems):
        cols = self.key + self.values
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in self.values)
        return changed_count(cur, f"""
            INSERT INTO {self.table} AS t ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {STAGE}
            ON CONFLICT ON CONSTRAINT {self.constraint} DO UPDATE SET {updates}
            WHERE ({', '.join('t.' + c for c in self.values)}) IS DISTINCT FROM ({', '.join('EXCLUDED.' + c for c in self.values)})""")


class TariffsMerge(_ValidityMerge):
    kind = "tariffs"
    table = "tariffs"
    constraint = "tariffs_key"
    columns = ("service_code text, scope text, variant text, zone text, component text, range_from numeric, "
               "range_to numeric, valid_from date, valid_to date, rate numeric")
    key = ("service_code", "scope", "variant", "zone", "component", "range_from", "valid_from")
    group = ("service_code", "scope", "variant", "zone", "component")
    values = ("range_to", "valid_to", "rate")
    ranges = True

    def check(self, cur, ctx, problems):
        report(cur, problems, f"""
            SELECT s.line, s.scope FROM {STAGE} s
            WHERE s.scope <> '' AND NOT EXISTS (SELECT 1 FROM houses h WHERE h.code = s.scope)""", None,
            "scope", "import.unknown_house", lambda r: f"no house with code {r[1][:100]!r}")
        super().check(cur, ctx, problems)


class NormsMerge(_ValidityMerge):
    kind = "norms"
    table = "norms"
    constraint = "norms_key"
    columns = ("service_code text, variant text, rooms smallint, residents smallint, valid_from date, valid_to date, "
               "value numeric, unit text")
    key = ("service_code", "variant", "rooms", "residents", "valid_from")
    group = ("service_code", "variant", "rooms", "residents")
    values = ("valid_to", "value", "unit")


# -- accounts --------------------------------------------------------------------------------

class AccountsMerge(Merge):
    """Houses (by code), premises (house, flat), accounts (number) and account services."""

    kind = "accounts"
    columns = ("account text, els text, house_code text, flat text, premise_kind text, rooms smallint, total_area numeric, "
               "heated_area numeric, living_area numeric, residents smallint, registered smallint, owner_name text, "
               "status text, opened_on date, closed_on date, meter_installable boolean, services text[]")
    ACCOUNT_VALUES = ("els", "premise_id", "total_area", "heated_area", "living_area", "residents", "registered",
                      "owner_name", "status", "opened_on", "closed_on", "meter_installable")
    HOUSE_VALUES = ("address", "settlement", "house_type", "electric_stove", "management_company_id")

    def create(self, cur):
        super().create(cur)
        execute(cur, """CREATE TEMP TABLE import_houses (code text PRIMARY KEY, line integer NOT NULL, address text,
                       settlement text, house_type text, electric_stove boolean, management_company_id bigint) ON COMMIT DROP""")
        for name, columns in (("import_changed_houses", "code text"), ("import_changed_premises", "id bigint"),
                              ("import_changed_accounts", "account text"), ("import_changed_services", "account text")):
            execute(cur, f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")

    def after_copy(self, cur, state):
        with cur.copy("COPY import_houses (code, line, address, settlement, house_type, electric_stove, management_company_id) "
                      f"FROM STDIN {COPY_OPTIONS}") as copy:
            writer = StageWriter(copy)
            for code, (attrs, line) in state.houses.items():
                writer.write((code, line, *attrs))
            writer.flush()

    def check(self, cur, ctx, problems):
        # The premises of the file, one row each (also what `apply` merges), and whether any of
        # them is described with different kinds or rooms on different lines.
        execute(cur, f"""
            CREATE TEMP TABLE import_premises ON COMMIT DROP AS
            SELECT house_code, flat, min(line) AS line, min(account COLLATE "C") AS first_account,
                   min(premise_kind COLLATE "C") AS kind, min(rooms) AS rooms,
                   min(premise_kind COLLATE "C") <> max(premise_kind COLLATE "C") OR min(rooms) <> max(rooms)
                       OR count(rooms) NOT IN (0, count(*)) AS conflicting
            FROM {STAGE} GROUP BY house_code, flat""")
        execute(cur, "SELECT EXISTS (SELECT 1 FROM import_premises WHERE conflicting)")
        if cur.fetchone()[0]:
            self.conflicting_premises(cur, problems)
        execute(cur, f"SELECT count(*) FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.number = s.account)")
        ctx.notes["new_accounts"] = cur.fetchone()[0]
        if problems or ctx.notes["new_accounts"] < ctx.rows:
            self.duplicates(cur, problems)
        # else: every staged account is new, so a duplicate makes the insert fail; `apply` then
        # reports it (saves a pass over a large initial load).

    def conflicting_premises(self, cur, problems):
        report(cur, problems, f"""
            SELECT s.line, d.line FROM import_premises d JOIN {STAGE} f ON f.line = d.line
            JOIN {STAGE} s ON s.house_code = d.house_code AND s.flat = d.flat AND s.line > d.line
            WHERE d.conflicting AND (s.premise_kind, s.rooms) IS DISTINCT FROM (f.premise_kind, f.rooms)""", None,
            "rooms", "import.conflicting_premise",
            lambda r: f"the same house and flat have another premise_kind or rooms on line {r[1]}")

    def duplicates(self, cur, problems):
        duplicates(cur, problems, ("account",), "account")

    TABLES = ("premises", "accounts", "account_services")

    def apply(self, cur, ctx, problems):
        # Every row creates its account: every row changes something, no need to track what.
        track = ctx.notes["new_accounts"] != ctx.rows
        restore = bulk_begin(cur, self.TABLES, ctx.rows)

        def tracked(statement: str, returning: str, into: str) -> None:
            if track:
                execute(cur, f"WITH m AS ({statement} RETURNING {returning}) INSERT INTO {into} SELECT DISTINCT * FROM m")
            else:
                execute(cur, statement)

        houses = self.HOUSE_VALUES
        tracked(f"""
            INSERT INTO houses AS h (code, {', '.join(houses)})
            SELECT code, {', '.join(houses)} FROM import_houses
            ON CONFLICT (code) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in houses)}
            WHERE ({', '.join('h.' + c for c in houses)}) IS DISTINCT FROM ({', '.join('EXCLUDED.' + c for c in houses)})""",
                "code", "import_changed_houses")
        execute(cur, "ANALYZE houses")
        values = self.ACCOUNT_VALUES
        source = f"""
            SELECT s.account, s.els, p.id AS premise_id, s.total_area, s.heated_area, s.living_area, s.residents, s.registered,
                   s.owner_name, s.status, s.opened_on, s.closed_on, s.meter_installable
            FROM {STAGE} s JOIN houses h ON h.code = s.house_code JOIN premises p ON p.house_id = h.id AND p.number = s.flat"""
        differs = (f"({', '.join('a.' + c for c in values)}) IS DISTINCT FROM "
                   f"({', '.join('EXCLUDED.' + c for c in values)})")
        if restore is None:
            # Upserts: the unique keys say what exists.
            tracked("""
                INSERT INTO premises AS p (house_id, number, kind, rooms)
                SELECT h.id, d.flat, d.kind, d.rooms FROM import_premises d JOIN houses h ON h.code = d.house_code
                ORDER BY d.first_account
                ON CONFLICT (house_id, number) DO UPDATE SET kind = EXCLUDED.kind, rooms = EXCLUDED.rooms
                WHERE (p.kind, p.rooms) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.rooms)""", "id", "import_changed_premises")
            accounts = [f"""
                INSERT INTO accounts AS a (number, {', '.join(values)}) {source} ORDER BY s.account COLLATE "C"
                ON CONFLICT (number) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in values)}, updated_at = now()
                WHERE {differs}"""]
        else:
            # Bulk load: the tables are locked and their unique indexes dropped: update what
            # exists and differs, insert what does not exist.
            tracked("""
                UPDATE premises p SET kind = d.kind, rooms = d.rooms FROM import_premises d JOIN houses h ON h.code = d.house_code
                WHERE p.house_id = h.id AND p.number = d.flat AND (p.kind, p.rooms) IS DISTINCT FROM (d.kind, d.rooms)""",
                    "p.id", "import_changed_premises")
            tracked("""
                INSERT INTO premises (house_id, number, kind, rooms)
                SELECT h.id, d.flat, d.kind, d.rooms FROM import_premises d JOIN houses h ON h.code = d.house_code
                WHERE NOT EXISTS (SELECT 1 FROM premises p WHERE p.house_id = h.id AND p.number = d.flat)
                ORDER BY d.first_account""",
                    "id", "import_changed_premises")
            execute(cur, "ANALYZE premises")
            if track:
                accounts = [f"""
                    UPDATE accounts a SET {', '.join(f'{c} = x.{c}' for c in values)}, updated_at = now()
                    FROM ({source}) x WHERE a.number = x.account AND {differs.replace('EXCLUDED.', 'x.')}""", f"""
                    INSERT INTO accounts (number, {', '.join(values)}) SELECT * FROM ({source}) x
                    WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.number = x.account) ORDER BY x.account COLLATE "C" """]
            else:       # every account new (`check` counted them): nothing to update, nothing to skip
                accounts = [f"""INSERT INTO accounts (number, {', '.join(values)}) {source} ORDER BY s.account COLLATE "C" """]

        def write_accounts() -> None:
            for statement in accounts:
                returning = "a.number" if statement.lstrip().startswith("UPDATE") else "number"
                tracked(statement, returning, "import_changed_accounts")

        # An account on two lines stops the insert (`check` leaves duplicates to it when every account is new).
        if not keyed(cur, "import_accounts", write_accounts, self.duplicates, problems,
                     (errors.CardinalityViolation, errors.UniqueViolation)):
            return 0
        # A listed service the account does not have yet, from the account's opened_on (a new
        # account has none: every service of the file's new accounts is inserted).
        missing = ("WHERE NOT EXISTS (SELECT 1 FROM account_services x WHERE x.account = s.account AND x.service_code = c.code)"
                   if track else "")
        tracked(f"""
            INSERT INTO account_services (account, service_code, valid_from)
            SELECT s.account, c.code, s.opened_on FROM {STAGE} s CROSS JOIN LATERAL unnest(s.services) AS c(code)
            {missing} ORDER BY s.account COLLATE "C" """, "account", "import_changed_services")
        # Bulk load: the accounts' key is made again only now, and an account twice in the file stops it.
        if not keyed(cur, "import_keys", lambda: bulk_end(cur, restore), self.duplicates, problems):
            return 0
        if not track:
            return ctx.rows
        execute(cur, f"""
            SELECT count(*) FROM {STAGE} s JOIN houses h ON h.code = s.house_code
            JOIN premises p ON p.house_id = h.id AND p.number = s.flat
            WHERE s.account IN (SELECT account FROM import_changed_accounts)
               OR s.account IN (SELECT account FROM import_changed_services)
               OR s.house_code IN (SELECT code FROM import_changed_houses)
               OR p.id IN (SELECT id FROM import_changed_premises)""")
        return cur.fetchone()[0]


# -- the ledger ------------------------------------------------------------------------------

class LedgerMerge(Merge):
    """Opening balances and charges: entries with a reference, never edited.

    Reference scheme. The first entry of a line's reference R (``charge:<account>:<service>:
    <YYYY-MM>``, ``opening:<account>:<recipient INN>``) has kind `charge` / `opening_balance`
    and reference R; the k-th version (k >= 2) has reference ``R#k``, so (kind, reference)
    stays unique. A changed amount (for an opening balance: or date) books a `reversal` of the
    current version (the opposite amount, its dates, recipient and service, `reverses` = its id,
    reference ``reversal:<its id>`` as the ledger's ReverseEntry does), then version k+1. An
    amount of 0 books nothing (or only the reversal). A version reversed otherwise (e.g. by an
    operator) counts as 0. Like every writer of an account's ledger, the import first locks the
    accounts it books for (``FOR NO KEY UPDATE``), in account order.
    """

    columns = ("account text, recipient_id bigint, service_code text, entry_date date, period date, "
               "amount_kopecks bigint, reason text, reference text")
    entry_kind = ""
    key_names: tuple[str, ...] = ()
    compare_date = False

    def check(self, cur, ctx, problems):
        duplicates(cur, problems, ("reference",), ", ".join(self.key_names), field=self.key_names[0])
        report(cur, problems, f"""
            SELECT s.line, s.account FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.number = s.account)""",
            None, "account", "import.unknown_account", lambda r: f"no account {r[1]}")

    def apply(self, cur, ctx, problems):
        params = {"kind": self.entry_kind, "operator": ctx.operator, "reason": f"replaced by import {ctx.import_id}"}
        execute(cur, f"""
            CREATE TEMP TABLE import_plan ON COMMIT DROP AS
            WITH RECURSIVE version(line, reference, k, id) AS (
                SELECT s.line, s.reference, 1, e.id FROM {STAGE} s
                JOIN ledger_entries e ON e.kind = %(kind)s AND e.reference = s.reference AND e.reference <> ''
                UNION ALL
                SELECT v.line, v.reference, v.k + 1, e.id FROM version v
                JOIN ledger_entries e ON e.kind = %(kind)s AND e.reference = v.reference || '#' || (v.k + 1)
                                       AND e.reference <> ''      -- lets the planner use the partial index ledger_source
            ),
            latest AS (SELECT DISTINCT ON (line) line, k, id FROM version ORDER BY line, k DESC)
            SELECT s.*, l.k, e.id AS cur_id, e.amount_kopecks AS cur_amount, e.entry_date AS cur_date, e.period AS cur_period,
                   e.recipient_id AS cur_recipient, e.service_code AS cur_service,
                   (e.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses = e.id)) AS active
            FROM {STAGE} s LEFT JOIN latest l ON l.line = s.line LEFT JOIN ledger_entries e ON e.id = l.id""", params)
        same_date = "AND cur_date = entry_date" if self.compare_date else ""
        execute(cur, f"""DELETE FROM import_plan WHERE CASE WHEN active THEN cur_amount = amount_kopecks {same_date}
                                                            ELSE amount_kopecks = 0 END""")
        report(cur, problems, """
            SELECT p.line, x.period FROM import_plan p JOIN periods x ON x.status = 'closed'
                AND (x.period = p.period AND p.amount_kopecks <> 0 OR p.active AND x.period = p.cur_period)""",
            None, "", "import.period_closed", lambda r: f"period {r[1]:%Y-%m} is closed: this line would book an entry in it")
        if problems:
            return 0
        execute(cur, """
            SELECT 1 FROM accounts WHERE number IN (SELECT account FROM import_plan) ORDER BY number FOR NO KEY UPDATE""")
        execute(cur, """
            INSERT INTO ledger_entries (account, recipient_id, kind, amount_kopecks, entry_date, period, service_code, reason,
                                        reference, reverses, created_by)
            SELECT account, cur_recipient, 'reversal', -cur_amount, cur_date, cur_period, cur_service, %(reason)s,
                   'reversal:' || cur_id, cur_id, %(operator)s
            FROM import_plan WHERE active ORDER BY line""", params)
        execute(cur, """
            INSERT INTO ledger_entries (account, recipient_id, kind, amount_kopecks, entry_date, period, service_code, reason,
                                        reference, created_by)
            SELECT account, recipient_id, %(kind)s, amount_kopecks, entry_date, period, service_code, reason,
                   CASE WHEN k IS NULL THEN reference ELSE reference || '#' || (k + 1) END, %(operator)s
            FROM import_plan WHERE amount_kopecks <> 0 ORDER BY line""", params)
        execute(cur, "SELECT count(*) FROM import_plan")
        return cur.fetchone()[0]


class OpeningBalancesMerge(LedgerMerge):
    kind = "opening_balances"
    entry_kind = "opening_balance"
    key_names = ("account", "recipient_inn")
    compare_date = True


class ChargesMerge(LedgerMerge):
    kind = "charges"
    entry_kind = "charge"
    key_names = ("account", "service_code", "period")


MERGES: dict[str, Merge] = {m.kind: m for m in (OrganisationsMerge(), ServicesMerge(), AccountsMerge(), TariffsMerge(),
                                                NormsMerge(), OpeningBalancesMerge(), ChargesMerge())}


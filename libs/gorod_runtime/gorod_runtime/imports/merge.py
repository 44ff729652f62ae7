"""The staging table and the set-based SQL around it, shared by every service's merges.

Checked rows are COPYed into a TEMP table ``import_stage`` (one per import transaction). A
service's `Merge` per kind names the staged columns, runs the checks that need the whole file
or large tables as SQL (each reporting its first problems by line and their total: `report`,
`duplicates`), and merges the staging table into its tables, typically with ``INSERT ... ON
CONFLICT ... DO UPDATE ... WHERE <the values differ>`` so that a row that matches the database
writes nothing (`changed_count`). An initial load of millions of rows may drop and remake the
tables' indexes and keys around the merge (`bulk_begin`, `bulk_end`).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable

from psycopg import Cursor, errors

from gorod_runtime.imports.problems import MAX_PROBLEMS, Problem, Problems

STAGE = "import_stage"
log = logging.getLogger("gorod_runtime.imports")


def execute(cur: Cursor, query: str, params: dict | None = None) -> None:
    """cur.execute, with the statement's time in the debug log (``--verbose``)."""
    started = time.perf_counter()
    cur.execute(query, params)
    if log.isEnabledFor(logging.DEBUG):
        first = " ".join(query.split())[:90]
        log.debug("  %.2f s, %s rows: %s", time.perf_counter() - started, cur.rowcount, first)


@dataclasses.dataclass(frozen=True)
class Context:
    import_id: int
    operator: str
    rows: int                                                   # rows staged
    notes: dict = dataclasses.field(default_factory=dict)       # what `check` learnt, for `apply`


def report(cur: Cursor, problems: Problems, query: str, params: dict | None, field: str, code: str,
           message: Callable[[tuple], str]) -> None:
    """Run a check query selecting ``line, ...`` of the offending rows; add its first problems."""
    execute(cur, f"SELECT q.*, count(*) OVER () FROM ({query}) q ORDER BY 1 LIMIT {MAX_PROBLEMS}", params)
    found = cur.fetchall()
    if found:
        problems.extend([Problem(r[0], field, code, f"{field}: {message(r)}" if field else message(r)) for r in found],
                        total=found[0][-1])


def duplicates(cur: Cursor, problems: Problems, key: tuple[str, ...], what: str, field: str = "") -> None:
    """Rows whose natural key appeared on an earlier line of the same file."""
    cols = ", ".join(key)
    report(cur, problems, f"""
        SELECT s.line, d.first FROM {STAGE} s
        JOIN (SELECT {cols}, min(line) AS first FROM {STAGE} GROUP BY {cols} HAVING count(*) > 1) d USING ({cols})
        WHERE s.line > d.first""", None, field or key[0], "import.duplicate_key",
        lambda r: f"the same {what} is already on line {r[1]}")


def changed_count(cur: Cursor, statement: str, params: dict | None = None) -> int:
    """Run ``WITH m AS (<statement> RETURNING 1) SELECT count(*) FROM m``."""
    execute(cur, f"WITH m AS ({statement} RETURNING 1) SELECT count(*) FROM m", params)
    return cur.fetchone()[0]


# A file at least this large, and larger than the tables it fills, is a bulk load.
BULK_ROWS = int(os.environ.get("GOROD_IMPORT_BULK_ROWS", "100000"))


def bulk_begin(cur: Cursor, tables: tuple[str, ...], rows: int) -> list[str] | None:
    """For a bulk load into `tables`, drop their indexes, keys and unique constraints and the
    foreign keys from and to them, and return the statements that put them back exactly as the
    catalogue has them (None if this is not a bulk load).

    Checking a foreign key once for the whole table and building an index in one sort (the
    owner-name trigram index above all) costs a fraction of doing it row by row. Only when the
    file has at least BULK_ROWS rows and more than any of `tables` (an initial load), because
    the DDL locks those tables (and the tables whose foreign keys point at them) until the
    commit; if a lock is not granted within 5 s (busy tables), the load goes the ordinary way.
    It is all one transaction: a failure anywhere leaves the schema as it was."""
    if rows < BULK_ROWS:
        return None
    params = {"t": list(tables)}
    execute(cur, "SELECT max(greatest(reltuples, 0)) FROM pg_class WHERE oid = ANY(%(t)s::regclass[])", params)
    if rows <= (cur.fetchone()[0] or 0):
        return None
    execute(cur, """
        WITH mine AS (SELECT oid FROM pg_class WHERE oid = ANY(%(t)s::regclass[]))
        SELECT CASE contype WHEN 'f' THEN 1 ELSE 0 END AS step,
               format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname),
               format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname, pg_get_constraintdef(oid))
        FROM pg_constraint
        WHERE contype = 'f' AND (conrelid IN (SELECT oid FROM mine) OR confrelid IN (SELECT oid FROM mine))
           OR contype IN ('p', 'u') AND conrelid IN (SELECT oid FROM mine)
        UNION ALL
        SELECT 2, format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
        FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM mine)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1 DESC""", params)
    statements = cur.fetchall()      # dropped: indexes, foreign keys, then keys; put back the other way round
    execute(cur, "SAVEPOINT import_bulk")
    try:
        execute(cur, "SET LOCAL lock_timeout = '5s'")
        for _, drop, _ in statements:
            execute(cur, drop)
        execute(cur, "SET LOCAL lock_timeout = 0")
    except errors.LockNotAvailable:
        log.warning("bulk load: the tables are busy, loading the ordinary way")
        execute(cur, "ROLLBACK TO SAVEPOINT import_bulk")
        return None
    execute(cur, "RELEASE SAVEPOINT import_bulk")
    return [create for _, _, create in sorted(statements, key=lambda s: s[0])]


def keyed(cur: Cursor, name: str, step: Callable[[], None], report_duplicates: Callable[[Cursor, Problems], None],
          problems: Problems, violations: tuple[type[Exception], ...] = (errors.UniqueViolation,)) -> bool:
    """Run `step` under the savepoint `name`: False, with the duplicates reported, when a key of
    the file's rows is violated (a merge leaves duplicates within a file of new rows to the key,
    saving a pass over a large initial load); True when it went through. A violation that is not
    a duplicate of the file is raised."""
    execute(cur, f"SAVEPOINT {name}")
    try:
        step()
    except violations:
        execute(cur, f"ROLLBACK TO SAVEPOINT {name}")
        report_duplicates(cur, problems)
        if problems:
            return False
        raise
    execute(cur, f"RELEASE SAVEPOINT {name}")
    return True


def bulk_end(cur: Cursor, restore: list[str] | None) -> None:
    """Put back what `bulk_begin` dropped (building an index also refreshes the table's size
    in the catalogue; autovacuum analyses the new rows)."""
    for statement in restore or ():
        execute(cur, statement)


COPY_OPTIONS = "(FORMAT text, NULL 'None')"    # str(None) is NULL: rows are written with map(str, ...)


class StageWriter:
    """Writes staged rows into ``COPY ... FROM STDIN {COPY_OPTIONS}``, in blocks.

    Values are str (already in the form PostgreSQL reads), None (NULL), bool, int, or (at
    `array_positions`) a list of str, a text[] array. The common row is written as
    ``"\\t".join(map(str, row))`` (bool as True/False, which PostgreSQL reads); a row with a
    backslash, a tab or a line break in a value, or a text value "None", is escaped value by
    value (the parsers keep tabs and line breaks out; this is the safety net)."""

    BLOCK_ROWS = 2000

    def __init__(self, copy, array_positions: tuple[int, ...] = ()):
        self.copy = copy
        self.array_positions = array_positions
        self.lines: list[str] = []
        self.arrays: dict[tuple, str] = {}

    def _array(self, items: list) -> str:
        key = tuple(items)
        text = self.arrays.get(key)
        if text is None:
            text = "{" + ",".join('"' + str(i).replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items) + "}"
            if len(self.arrays) < 10_000:
                self.arrays[key] = text
        return text

    def write(self, row: tuple) -> None:
        if self.array_positions:
            row = list(row)
            for index in self.array_positions:
                row[index] = self._array(row[index])
        line = "\t".join(map(str, row))
        if "\\" in line or "\n" in line or "\r" in line or "None" in row or line.count("\t") != len(row) - 1:
            line = "\t".join(map(_escaped, row))
        self.lines.append(line)
        if len(self.lines) >= self.BLOCK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.lines.append("")
            self.copy.write("\n".join(self.lines))
            self.lines.clear()


def _escaped(value) -> str:
    if value is None:
        return "None"
    if type(value) is not str:
        return str(value)
    if value == "None":
        return "\\x4eone"                 # the text "None", not NULL
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Merge:
    kind = ""
    columns = ""            # staged columns after `line`, with types, in Kind.finish order

    def create(self, cur: Cursor) -> None:
        execute(cur, f"CREATE TEMP TABLE {STAGE} (line integer NOT NULL, {self.columns}) ON COMMIT DROP")

    def copy_statement(self) -> str:
        names = ["line"] + [c.strip().split()[0] for c in self.columns.split(",")]
        return f"COPY {STAGE} ({', '.join(names)}) FROM STDIN {COPY_OPTIONS}"

    def writer(self, copy) -> StageWriter:
        types = ["integer"] + [c.strip().split()[1] for c in self.columns.split(",")]
        return StageWriter(copy, tuple(i for i, t in enumerate(types) if t.endswith("[]")))

    def after_copy(self, cur: Cursor, state) -> None:
        """Stage what the file's per-file state holds (e.g. houses)."""

    def check(self, cur: Cursor, ctx: Context, problems: Problems) -> None:
        raise NotImplementedError

    def apply(self, cur: Cursor, ctx: Context, problems: Problems) -> int:
        raise NotImplementedError

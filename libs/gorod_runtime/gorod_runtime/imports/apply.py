"""One import, start to end, in one database transaction (psycopg 3, outside nameko).

1. Read the bytes once: SHA-256 and the encoding. If the same kind and bytes were applied
   before, answer ``unchanged`` at once.
2. Take the import lock (one import at a time per database), load the reference data rows
   point at (the service's `Importer.load_references`).
3. Stream the rows: each is checked in Python (the kind's `rows.Kind`) and, if good, COPYed
   into a TEMP staging table; nothing holds more than one row. A large CSV file is checked in
   several processes (`parallel`), in chunks, and falls back to this serial read at any problem.
4. Set-based checks in SQL (the kind's `merge.Merge.check`: duplicates, unknown references...).
5. No problem: merge (writing only what differs), record the import as ``applied``, commit.
   Any problem: roll everything back and record the import as ``rejected`` with its first
   problems.

A service plugs in with one `Importer`: its kinds, their merges and its reference data. Every
import is recorded in the service's ``imports`` table (`table.imports_table`).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable, Mapping

import psycopg

from gorod_runtime.imports import formats, parallel
from gorod_runtime.imports.merge import Context, Merge, execute
from gorod_runtime.imports.problems import APPLIED, REJECTED, UNCHANGED, Problems, Report
from gorod_runtime.imports.rows import Checker, Kind

log = logging.getLogger("gorod_runtime.imports")

IMPORT_LOCK = 0x600D1A90          # pg_advisory_xact_lock: one import at a time per database
SESSION_SETTINGS = (
    "SET temp_buffers = '256MB'",             # the staging table stays in memory
    "SET work_mem = '256MB'",                 # hash joins and aggregates over a million rows
    "SET maintenance_work_mem = '512MB'",     # index builds of a bulk load
    # Joins of a file with a table are hash joins: a merge join would sort text keys (slow
    # under a libc collation), and compiling these one-off statements does not pay.
    "SET enable_mergejoin = off",
    "SET jit = off",
    # On two cores a parallel index build is slower than a serial one (measured: 0.75 s vs
    # 0.55 s for two million keys); the bulk load builds its indexes one by one.
    "SET max_parallel_maintenance_workers = 0",
)


class BadRequest(Exception):
    """A file that cannot be imported at all (unknown kind or format): a usage error."""


def _no_references(cur: psycopg.Cursor) -> None:
    return None


@dataclasses.dataclass(frozen=True)
class Importer:
    """What one service imports: its kinds of file, the merge of each, and the reference data
    its rows are checked against (read once per import, before the file)."""

    service: str                                              # e.g. "accruals": names the connection
    kinds: Mapping[str, Kind]
    merges: Mapping[str, Merge]
    load_references: Callable[[psycopg.Cursor], object] = _no_references

    def __post_init__(self):
        assert set(self.kinds) == set(self.merges), "every kind needs its merge"


def connection_url(db_url: str) -> str:
    """libpq's URL from the kit's (which may name a SQLAlchemy driver)."""
    scheme, sep, rest = db_url.partition("://")
    return ("postgresql" + sep + rest) if scheme.startswith("postgresql+") or scheme == "postgres" else db_url


def run_import(importer: Importer, db_url: str, kind_name: str, path: str, *, encoding: str = "auto", operator: str = "",
               filename: str | None = None) -> Report:
    """Import one file; see the module's doc. Raises BadRequest for an unknown kind or
    format and psycopg.Error when the database fails."""
    kind = importer.kinds.get(kind_name)
    if kind is None:
        raise BadRequest(f"unknown kind {kind_name!r}; one of: {', '.join(importer.kinds)}")
    name = os.path.basename(filename or path)
    fmt = formats.format_of(name)
    if fmt is None:
        raise BadRequest(f"cannot tell the format of {name!r}: the name must end in .csv, .json or .jsonl")
    chosen = formats.normalise_encoding(encoding)
    if chosen is None:
        raise BadRequest(f"unknown encoding {encoding!r}; one of: auto, utf-8, cp1251")
    merge = importer.merges[kind_name]
    started = time.perf_counter()
    problems = Problems()
    # A file checked in parallel is decoded by the workers, chunk by chunk: the scan only hashes
    # it and guesses the encoding from its start (a chunk the guess cannot decode sends the
    # import to the serial reader, after the full scan).
    in_parallel = parallel.suitable(fmt, os.path.getsize(path))
    scan = formats.scan(path, fmt, chosen, problems, validate=not in_parallel)
    log.debug("scanned %d bytes as %s in %.2f s", scan.size, scan.encoding, time.perf_counter() - started)

    def report(import_id, status, rows, changed) -> Report:
        return Report(import_id=str(import_id), status=status, rows=rows, changed=changed, problems=problems.first(),
                      problem_count=problems.count, kind=kind_name, filename=name)

    with psycopg.connect(connection_url(db_url), application_name=f"gorod-{importer.service}-import") as conn:
        cur = conn.cursor()
        for statement in SESSION_SETTINGS:
            cur.execute(statement)
        conn.commit()

        def applied_before():
            # The same bytes as the kind's latest applied file: nothing can differ, answer at once.
            # An older file applied again (F, G, F) is imported again: its values come back.
            cur.execute("SELECT id, rows, sha256 FROM imports WHERE kind = %s AND status = 'applied' ORDER BY id DESC LIMIT 1",
                        (kind_name,))
            latest = cur.fetchone()
            return latest[:2] if latest is not None and latest[2] == scan.sha256 else None

        before = applied_before()
        if before is not None:
            problems = Problems()
            return report(before[0], UNCHANGED, before[1], 0)
        cur.execute("SELECT nextval(pg_get_serial_sequence('imports', 'id'))")
        import_id = cur.fetchone()[0]
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (IMPORT_LOCK,))
        before = applied_before()           # the same file may have been applied while we waited
        if before is not None:
            conn.rollback()
            problems = Problems()
            return report(before[0], UNCHANGED, before[1], 0)

        rows = 0
        changed = 0
        if not problems:
            refs = importer.load_references(cur)
            merge.create(cur)
            # Under a guessed encoding the header's problems are not reported: the serial reader reads it again.
            header_problems = Problems() if in_parallel else problems
            header, records = formats.read(path, fmt, scan.encoding, kind.field_names, header_problems, kind.list_columns)
            checker = Checker(kind, header, refs, header_problems if header else Problems())
            staged = 0
            parallel_staged = None
            if header and checker.header_ok and in_parallel:
                records.close()
                execute(cur, "SAVEPOINT import_parallel")
                with cur.copy(merge.copy_statement()) as copy:
                    parallel_staged = parallel.stage(copy, path, scan.encoding, importer, kind_name, header, refs)
                if parallel_staged is None:        # a problem somewhere: the serial reader reports it exactly
                    execute(cur, "ROLLBACK TO SAVEPOINT import_parallel")
                else:
                    execute(cur, "RELEASE SAVEPOINT import_parallel")
                    rows, staged, checker.state = parallel_staged.rows, parallel_staged.staged, parallel_staged.state
            if parallel_staged is None and in_parallel:    # the serial reader, after the full scan
                records.close()
                scan = formats.scan(path, fmt, chosen, problems)
                if problems:                # a byte the encoding cannot read: the file is not read
                    header, records = [], iter(())
                else:
                    header, records = formats.read(path, fmt, scan.encoding, kind.field_names, problems, kind.list_columns)
                checker = Checker(kind, header, refs, problems if header else Problems())
            if parallel_staged is None:
                with cur.copy(merge.copy_statement()) as copy:
                    if header and checker.header_ok:
                        writer = merge.writer(copy)
                        check, write = checker.check, writer.write
                        for line, values in records:
                            rows += 1
                            row = check(line, values)
                            if row is not None:
                                write(row)
                                staged += 1
                        writer.flush()
            if header and not rows and not problems:
                problems.add(0, "", "import.empty_file", "the file has no rows")
            log.debug("read %d rows (%d staged) in %.2f s", rows, staged, time.perf_counter() - started)
            merge.after_copy(cur, checker.state)
            execute(cur, "ANALYZE import_stage")
            ctx = Context(import_id=import_id, operator=operator, rows=staged)
            merge.check(cur, ctx, problems)
            log.debug("checked in %.2f s", time.perf_counter() - started)
            if not problems:
                changed = merge.apply(cur, ctx, problems)
                log.debug("merged in %.2f s", time.perf_counter() - started)

        if problems:
            conn.rollback()
            result = report(import_id, REJECTED, rows, 0)
        else:
            result = report(import_id, APPLIED, rows, changed)
        cur.execute(
            "INSERT INTO imports (id, kind, sha256, filename, status, rows, changed, errors, created_by)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (import_id, kind_name, scan.sha256, name, result.status, rows, result.changed,
             json.dumps([p.as_dict() for p in result.problems], ensure_ascii=False), operator),
        )
        conn.commit()
        log.debug("%s in %.2f s", result.status, time.perf_counter() - started)
        return result

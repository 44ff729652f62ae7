"""Import a file of accounts, tariffs, norms, balances or charges into the accruals database.

    python -m accruals.importer KIND FILE [--encoding auto|utf-8|cp1251] [--operator NAME] [--json]

KIND is one of organisations, services, accounts, tariffs, norms, opening_balances, charges;
FILE ends in .csv, .json or .jsonl (the formats are in docs/imports.md). The file is checked
first and applied all-or-nothing. Prints a report (JSON with --json). Exit code: 0 applied or
unchanged, 1 rejected, 2 a usage or infrastructure error (one line on stderr). The database is
the service's: GOROD_DB_URL, else GOROD_DATABASE_URL + gorod_accruals.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys

from accruals.imports.kinds import KINDS
from accruals.imports.problems import APPLIED, UNCHANGED, Report

PROG = "accruals.importer"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        print(f"{PROG}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def redact(url: str) -> str:
    """The URL without its password, for the error line."""
    return re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", url)


def human(report: Report) -> str:
    head = f"import {report.import_id}: {report.status} ({report.kind}, {report.filename})"
    lines = [head, f"rows: {report.rows}, changed: {report.changed}"]
    if report.status == UNCHANGED:
        lines[1] = f"this file was applied before (import {report.import_id}, {report.rows} rows); nothing changed"
    if report.problem_count:
        shown = len(report.problems)
        listed = f" (the first {shown} are listed)" if shown < report.problem_count else ""
        lines.append(f"problems: {report.problem_count}{listed}")
        lines += [f"  line {p.line}: [{p.code}] {p.message}" for p in report.problems]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog=f"python -m {PROG}", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=list(KINDS), metavar="KIND", help="one of: " + ", ".join(KINDS))
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--encoding", default="auto", help="auto (default: UTF-8 if valid, else cp1251), utf-8 or cp1251; CSV only")
    parser.add_argument("--operator", default="", help="who imports (recorded with the import and the ledger entries)")
    parser.add_argument("--filename", default=None, help="the name to record and to take the format from (default: FILE's)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--verbose", action="store_true", help="log the phases and their times on stderr")
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(message)s", stream=sys.stderr)

    import psycopg

    from accruals.imports.apply import BadRequest, run_import
    from gorod_runtime.settings import SettingsError, load

    try:
        db_url = load("accruals").db_url
    except SettingsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        with open(args.file, "rb"):
            pass
    except OSError as exc:
        print(f"{PROG}: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        report = run_import(db_url, args.kind, args.file, encoding=args.encoding, operator=args.operator, filename=args.filename)
    except BadRequest as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as exc:
        reason = (str(exc).strip().splitlines() or ["connection failed"])[0]
        print(f"{PROG}: cannot reach database {redact(db_url)}: {reason}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict(), ensure_ascii=False) if args.json else human(report))
    return 0 if report.status in (APPLIED, UNCHANGED) else 1


if __name__ == "__main__":
    sys.exit(main())

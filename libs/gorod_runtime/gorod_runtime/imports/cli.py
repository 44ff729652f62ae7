"""The command line of a service's importer: ``python -m <service>.importer KIND FILE ...``.

A service's ``importer`` module keeps its own doc (the usage) and calls `main` with its
`Importer`. The report is printed readably, or as one JSON object with --json. Exit code: 0
applied or unchanged, 1 rejected, 2 a usage or infrastructure error (one line on stderr).
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from typing import TYPE_CHECKING

from gorod_runtime.imports.problems import APPLIED, UNCHANGED, Report

if TYPE_CHECKING:
    from gorod_runtime.imports.apply import Importer


def redact(url: str) -> str:
    """The URL without its password, for the error line."""
    return re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", url)


def unreachable(db_url: str, error: Exception) -> str:
    """One line for a database that cannot be reached: the URL without its password, the first
    line of the driver's reason."""
    reason = (str(error).strip().splitlines() or ["connection failed"])[0]
    return f"cannot reach database {redact(db_url)}: {reason}"


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


def main(importer: Importer, prog: str, description: str, argv: list[str] | None = None, *,
         operator_help: str = "who imports (recorded with the import)") -> int:
    class Parser(argparse.ArgumentParser):
        def error(self, message):  # one line, exit 2
            print(f"{prog}: {message} (see --help)", file=sys.stderr)
            sys.exit(2)

    kinds = list(importer.kinds)
    parser = Parser(prog=f"python -m {prog}", description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=kinds, metavar="KIND", help="one of: " + ", ".join(kinds))
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--encoding", default="auto", help="auto (default: UTF-8 if valid, else cp1251), utf-8 or cp1251; CSV only")
    parser.add_argument("--operator", default="", help=operator_help)
    parser.add_argument("--filename", default=None, help="the name to record and to take the format from (default: FILE's)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--verbose", action="store_true", help="log the phases and their times on stderr")
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(message)s", stream=sys.stderr)

    import psycopg

    from gorod_runtime.imports.apply import BadRequest, run_import
    from gorod_runtime.settings import SettingsError, load

    try:
        db_url = load(importer.service).db_url
    except SettingsError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    try:
        with open(args.file, "rb"):
            pass
    except OSError as exc:
        print(f"{prog}: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        report = run_import(importer, db_url, args.kind, args.file, encoding=args.encoding, operator=args.operator,
                            filename=args.filename)
    except BadRequest as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as exc:
        print(f"{prog}: {unreachable(db_url, exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict(), ensure_ascii=False) if args.json else human(report))
    return 0 if report.status in (APPLIED, UNCHANGED) else 1

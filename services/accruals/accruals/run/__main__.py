"""The monthly run (docs/monthly-run.md).

    python -m accruals.run --period YYYY-MM [--partition I/N] [--workers W] [--chunk N] [--operator NAME]
    python -m accruals.run close   --period YYYY-MM [--force]
    python -m accruals.run compare --period YYYY-MM [--run A --run B] [--limit N]
    python -m accruals.run status  --period YYYY-MM
    python -m accruals.run prune   --period YYYY-MM [--keep K]

Prints one JSON object. Exit code: 0 done, 1 refused (a closed period, a close while a run is
in progress, missing partitions...; one line on stderr, nothing changed), 2 a usage or
infrastructure error. The database is the service's: GOROD_DB_URL, else GOROD_DATABASE_URL +
gorod_accruals.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

PROG = "accruals.run"
COMMANDS = ("run", "close", "compare", "status", "prune")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        print(f"{PROG}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def _period(text: str):
    from gorod_runtime.period import Period

    try:
        return Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _partition(text: str) -> tuple[int, int]:
    from accruals.run.partition import parse

    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    command = argv[0] if argv and argv[0] in COMMANDS else "run"
    rest = argv[1:] if argv and argv[0] in COMMANDS else argv
    parser = _Parser(prog=f"python -m {PROG}" + ("" if command == "run" else f" {command}"), description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--period", type=_period, required=True, help="the settlement month, YYYY-MM")
    if command == "run":
        parser.add_argument("--partition", type=_partition, default=(1, 1), help="I/N: this process's share (default 1/1)")
        parser.add_argument("--workers", type=_positive, default=None,
                            help="worker processes inside this partition (default: the CPUs, 1 with --partition)")
        parser.add_argument("--chunk", type=_positive, default=None, help="accounts read per statement (default 5000)")
        parser.add_argument("--operator", default="", help="who runs it (kept with the run)")
        parser.add_argument("--profile", default="", help="a directory for cProfile stats of each worker")
    elif command == "close":
        parser.add_argument("--force", action="store_true", help="close although some accounts could not be charged")
    elif command == "compare":
        parser.add_argument("--run", type=_positive, action="append", default=[], help="a run id (twice: A then B)")
        parser.add_argument("--limit", type=_positive, default=50, help="accounts listed in detail (default 50)")
    elif command == "prune":
        parser.add_argument("--keep", type=int, default=1, help="superseded runs to keep (default 1)")
    args = parser.parse_args(rest)
    args.command = command
    if command == "compare" and len(args.run) not in (0, 2):
        parser.error("give --run twice (A and B) or not at all (the two latest runs)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)

    import psycopg

    from accruals.run import compare, runner
    from gorod_runtime.imports.apply import connection_url
    from gorod_runtime.settings import SettingsError, load

    try:
        db_url = connection_url(load("accruals").db_url)
    except SettingsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "run":
            part, parts = args.partition
            workers = args.workers or (1 if parts > 1 else max(1, min(os.cpu_count() or 1, 8)))
            result = runner.run_period(db_url, args.period, part, parts, workers=workers,
                                       chunk=args.chunk or runner.DEFAULT_CHUNK, operator=args.operator,
                                       profile_dir=args.profile)
        elif args.command == "close":
            result = runner.close_period(db_url, args.period, force=args.force)
        elif args.command == "compare":
            result = compare.compare(db_url, args.period, *(args.run or (None, None)), limit=args.limit)
        elif args.command == "status":
            result = runner.status(db_url, args.period)
        else:
            result = runner.prune(db_url, args.period, keep=args.keep)
    except runner.Refused as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        from gorod_runtime.imports.cli import unreachable

        print(f"{PROG}: {unreachable(db_url, exc)}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

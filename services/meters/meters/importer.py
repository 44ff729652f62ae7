"""Import a file of meters into the meter registry.

    python -m meters.importer meters FILE [--encoding auto|utf-8|cp1251] [--operator NAME] [--json]

FILE ends in .csv, .json or .jsonl (the format is in docs/meters-import.md). The file is
checked first and applied all-or-nothing; the same file again changes nothing. Prints a report
(JSON with --json). Exit code: 0 applied or unchanged, 1 rejected, 2 a usage or infrastructure
error (one line on stderr). The database is the service's: GOROD_DB_URL, else
GOROD_DATABASE_URL + gorod_meters.
"""
from __future__ import annotations

import sys

from gorod_runtime.imports import cli
from meters.imports.apply import IMPORTER

PROG = "meters.importer"


def main(argv: list[str] | None = None) -> int:
    return cli.main(IMPORTER, PROG, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())

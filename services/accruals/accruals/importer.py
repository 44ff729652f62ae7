"""Import a file of accounts, tariffs, norms, balances or charges into the accruals database.

    python -m accruals.importer KIND FILE [--encoding auto|utf-8|cp1251] [--operator NAME] [--json]

KIND is one of organisations, services, accounts, tariffs, norms, opening_balances, charges;
FILE ends in .csv, .json or .jsonl (the formats are in docs/imports.md). The file is checked
first and applied all-or-nothing. Prints a report (JSON with --json). Exit code: 0 applied or
unchanged, 1 rejected, 2 a usage or infrastructure error (one line on stderr). The database is
the service's: GOROD_DB_URL, else GOROD_DATABASE_URL + gorod_accruals.
"""
from __future__ import annotations

import sys

from accruals.imports.apply import IMPORTER
from gorod_runtime.imports import cli

__all__ = ["main"]

PROG = "accruals.importer"


def main(argv: list[str] | None = None) -> int:
    return cli.main(IMPORTER, PROG, __doc__, argv,
                    operator_help="who imports (recorded with the import and the ledger entries)")


if __name__ == "__main__":
    sys.exit(main())

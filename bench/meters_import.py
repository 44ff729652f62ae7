"""Bulk import of the meter registry: `python -m meters.importer meters FILE`, as a process.

Generates a CSV of 3 meters per account (cold water and hot water in the bathroom, a two-zone
electricity meter in the hall; Cyrillic placements, serials, supplier INNs, dates in both forms)
and times the importer's CLI on it into a fresh meters database (an initial load: the bulk
path, see docs/meters-import.md).
Figures:
- import_meters_per_s (target >= 60,000): meters / the CLI's wall time (process start to exit).
- import_peak_mb: the importer process's peak resident memory.
- import_small_peak_mb: the same for a tenth of the file. The benchmark fails unless the peak
  grows by less than 25% + 32 MB from one to the other: the file is streamed, not loaded.
- copy_rows_per_s (same-run baseline): plain psycopg COPY of the same number of narrow rows
  into a table with a primary key, no checks.
"""
from __future__ import annotations

import pathlib
import tempfile

from common import arguments, copy_rows_per_s, database, emit, postgres, timed_importer

COLUMNS = "account;service;serial;zones;placement;unit;digits;decimals;supplier_inn;installed_on;sealed_on;verification_due;status"
WATER = "2224000018"        # valid INNs (check digits)
POWER = "2224000025"


def account_lines(i: int) -> str:
    """The three meters of account `i`."""
    account = 100000000 + i
    installed = f"{2015 + i % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    sealed = f"{1 + i % 28:02d}.{1 + i % 12:02d}.{2015 + i % 10}"
    due = f"{2021 + i % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    return (f"{account};cold_water;ХВ{i:08d};1;ванная;m3;5;3;{WATER};{installed};{sealed};{due};active\n"
            f"{account};hot_water;ГВ{i:08d};1;ванная;;5;;{WATER};{installed};{sealed};{due};\n"
            f"{account};electricity;E-{i:09d};2;прихожая;kWh;6;1;{POWER};{installed};;{due[:4]}-12-31;active\n")


def write_meters(path: pathlib.Path, accounts: int) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(COLUMNS + "\n")
        block = []
        for i in range(accounts):
            block.append(account_lines(i))
            if len(block) == 10_000:
                out.write("".join(block))
                block.clear()
        out.write("".join(block))


def main() -> None:
    args = arguments(__doc__, accounts=(int, 1_000_000, "accounts in the file (3 meters each)"))
    accounts = 100_000 if args.quick else args.accounts
    meters = 3 * accounts
    with tempfile.TemporaryDirectory() as tmp, postgres() as pg:
        big, little = pathlib.Path(tmp) / "meters.csv", pathlib.Path(tmp) / "meters-small.csv"
        write_meters(big, accounts)
        write_meters(little, accounts // 10)
        with database(pg, "meters") as url:
            report, _, small_peak = timed_importer("meters.importer", url, "meters", little)
            assert report["status"] == "applied" and report["changed"] == meters // 10, report
        with database(pg, "meters") as url:
            report, seconds, peak = timed_importer("meters.importer", url, "meters", big)
            assert report["status"] == "applied" and report["rows"] == meters and report["changed"] == meters, report
            copy_rate = copy_rows_per_s(url, "id bigint, account text, serial text",
                                        ((i, str(100000000 + i // 3), f"E-{i:09d}") for i in range(meters)))
    assert peak < small_peak * 1.25 + 32, f"peak memory grew with the file: {small_peak:.0f} MB -> {peak:.0f} MB"
    emit("import_meters_per_s", meters / seconds, "meters/s")
    emit("import_peak_mb", peak, "MB")
    emit("import_small_peak_mb", small_peak, "MB")
    emit("copy_rows_per_s", copy_rate, "rows/s")


if __name__ == "__main__":
    main()

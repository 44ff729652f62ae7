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

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from common import arguments, database, emit, postgres

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


def timed_import(url: str, path: pathlib.Path) -> tuple[dict, float, float]:
    """Run the importer in a child process; (report, seconds, peak RSS MB of that child)."""
    env = dict(os.environ, GOROD_DB_URL=url)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "meters.importer", "meters", str(path), "--json", "--operator", "bench"],
                                   env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            raise SystemExit(f"importer exited with {code}: {err.read().decode(errors='replace')[-2000:]}")
        return json.loads(out.read()), elapsed, usage.ru_maxrss / 1024


def baseline_copy(url: str, count: int) -> float:
    import psycopg

    from gorod_runtime.imports.apply import connection_url

    with psycopg.connect(connection_url(url)) as conn:
        conn.execute("CREATE TABLE bench_copy (id bigint PRIMARY KEY, account text, serial text)")
        started = time.perf_counter()
        with conn.cursor().copy("COPY bench_copy (id, account, serial) FROM STDIN") as copy:
            for i in range(count):
                copy.write_row((i, str(100000000 + i // 3), f"E-{i:09d}"))
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
    return count / elapsed


def main() -> None:
    args = arguments(__doc__, accounts=(int, 1_000_000, "accounts in the file (3 meters each)"))
    accounts = 100_000 if args.quick else args.accounts
    meters = 3 * accounts
    with tempfile.TemporaryDirectory() as tmp, postgres() as pg:
        big, little = pathlib.Path(tmp) / "meters.csv", pathlib.Path(tmp) / "meters-small.csv"
        write_meters(big, accounts)
        write_meters(little, accounts // 10)
        with database(pg, "meters") as url:
            report, _, small_peak = timed_import(url, little)
            assert report["status"] == "applied" and report["changed"] == meters // 10, report
        with database(pg, "meters") as url:
            report, seconds, peak = timed_import(url, big)
            assert report["status"] == "applied" and report["rows"] == meters and report["changed"] == meters, report
            copy_rate = baseline_copy(url, meters)
    assert peak < small_peak * 1.25 + 32, f"peak memory grew with the file: {small_peak:.0f} MB -> {peak:.0f} MB"
    emit("import_meters_per_s", meters / seconds, "meters/s")
    emit("import_peak_mb", peak, "MB")
    emit("import_small_peak_mb", small_peak, "MB")
    emit("copy_rows_per_s", copy_rate, "rows/s")


if __name__ == "__main__":
    main()

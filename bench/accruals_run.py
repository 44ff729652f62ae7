"""The monthly run: `python -m accruals.run` over a whole demo region, then `close`.

The region: tools/demo_region.py with N accounts (default 1,000,000; --quick 100,000), loaded
with the importer (accruals.imports, the code of `python -m accruals.importer`): 8 services per
apartment (7 without central hot water, 2-3 for a private house). Then, with SQL
(accruals.run.sample): meter readings for cold water, hot water and electricity of half the
accounts (February and March, 5 % of the registers without a March reading), a temporary
absence in 1 % of the accounts, payments of part of the opening balance in 10 % of those
that have one. The period is March 2026, in the heating season; the opening balances of
1 January are late by then, so about a third of the accounts also get a penalty line.

The design keeps draft charges out of the ledger (docs/monthly-run.md): `close` posts them.
So the full run - compute, charge lines, ledger - is the run followed by `close`.

Figures:
- run_s: the full run: `python -m accruals.run --period 2026-03` (compute and write the lines,
  all CPUs) + `close` (post the ledger entries), each a process, wall time.
- draft_run_s, close_s: the two parts; ledger_entries: what close posted.
- copy_s (same-run baseline): a bare binary COPY of as many rows as the run wrote lines into a
  new partition of charge_lines (the same table, with its key), from data prepared beforehand.
- run_over_copy: run_s / copy_s.
- run_accounts_per_s: N / run_s.
- run_two_partitions_accounts_per_s: N / (the wall time of `--partition 1/2` and `--partition
  2/2` run at once, as two pods would + `close`), on a fresh period (April).
- run_peak_mb: the largest resident memory of the run's processes (the run and its workers).
"""
from __future__ import annotations

import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

from common import ROOT, arguments, database, emit, postgres

sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "services" / "accruals"))

import demo_region  # noqa: E402
import psycopg  # noqa: E402

from accruals.run import sample  # noqa: E402
from gorod_runtime.imports.apply import connection_url  # noqa: E402
from gorod_runtime.period import Period  # noqa: E402

MARCH = Period(2026, 3)
APRIL = Period(2026, 4)


def start(url: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, GOROD_DB_URL=url)
    return subprocess.Popen([sys.executable, "-m", "accruals.run", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"accruals.run exited with {process.returncode}: {err[-3000:]}")
    return json.loads(out)


def timed(url: str, *args: str) -> tuple[dict, float]:
    started = time.perf_counter()
    result = finish(start(url, *args))
    return result, time.perf_counter() - started


def baseline_copy(url: str, run_id: int, folder: pathlib.Path) -> tuple[float, int]:
    """A bare binary COPY of as many rows as the run wrote (prepared beforehand in a file, read
    from the page cache) into a new partition of charge_lines with its key: seconds and rows."""
    fake = 2**62
    data = folder / "lines.copy"
    with psycopg.connect(url) as conn:
        cur = conn.cursor()
        cur.execute("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
                    "WHERE attrelid = 'charge_lines'::regclass AND attnum > 1 AND NOT attisdropped")
        others = cur.fetchone()[0]
        with data.open("wb") as out, cur.copy(
                f"COPY (SELECT {fake}::bigint, {others} FROM charge_lines_r{int(run_id)} ORDER BY account, line_no) "
                "TO STDOUT (FORMAT BINARY)") as copy:
            for block in copy:
                out.write(block)
        cur.execute(f"SELECT count(*) FROM charge_lines_r{int(run_id)}")
        rows = cur.fetchone()[0]
        cur.execute(f"CREATE TABLE bench_copy_lines PARTITION OF charge_lines FOR VALUES IN ({fake})")
        conn.commit()
        with data.open("rb") as source:
            source.read()                     # into the page cache
        started = time.perf_counter()
        with data.open("rb") as source, cur.copy("COPY bench_copy_lines FROM STDIN (FORMAT BINARY)") as copy:
            while block := source.read(1 << 17):
                copy.write(block)
        conn.commit()
        elapsed = time.perf_counter() - started
        cur.execute("DROP TABLE bench_copy_lines")
        conn.commit()
    data.unlink()
    return elapsed, rows


def main() -> None:
    args = arguments(__doc__, accounts=(int, 1_000_000, "accounts in the region"))
    count = 100_000 if args.quick else args.accounts
    with tempfile.TemporaryDirectory() as tmp, postgres() as pg:
        folder = pathlib.Path(tmp) / "region"
        summary = demo_region.generate(folder, count, seed=1)
        with database(pg, "accruals") as url:
            plain = connection_url(url)
            loaded = time.perf_counter()
            sample.load_region(plain, folder, operator="bench")
            sample.add_readings(plain, MARCH, every=2, months=2, gap_share=0.05)
            sample.add_readings(plain, APRIL, every=2, months=1, gap_share=0.05)
            sample.add_absences(plain, MARCH, every=100)
            sample.add_payments(plain, MARCH, every=10)
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
            print(f"region of {summary.accounts} accounts loaded in {time.perf_counter() - loaded:.0f} s", file=sys.stderr)

            draft, draft_s = timed(url, "--period", str(MARCH))
            closed, close_s = timed(url, "close", "--period", str(MARCH))
            print(f"draft run: {json.dumps(draft)}\nclose: {json.dumps(closed)}", file=sys.stderr)

            started = time.perf_counter()
            halves = [start(url, "--period", str(APRIL), "--partition", f"{i}/2") for i in (1, 2)]
            results = [finish(p) for p in halves]
            halves_s = time.perf_counter() - started
            closed_april, close_april_s = timed(url, "close", "--period", str(APRIL))
            print(f"two partitions: {halves_s:.1f} s {json.dumps(results)}\nclose: {json.dumps(closed_april)}",
                  file=sys.stderr)
            assert sum(r["accounts"] for r in results) == draft["accounts"]
            # Every process of the runs has ended: the largest of them and of their workers.
            peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, draft["peak_mb"],
                       *(r["peak_mb"] for r in results))

            copy_s, rows = baseline_copy(plain, draft["run_id"], pathlib.Path(tmp))
            assert rows == draft["lines"], (rows, draft["lines"])

    run_s = draft_s + close_s
    emit("run_s", run_s, "s")
    emit("draft_run_s", draft_s, "s")
    emit("close_s", close_s, "s")
    emit("copy_s", copy_s, "s")
    emit("run_over_copy", run_s / copy_s, "x")
    emit("run_accounts_per_s", draft["accounts"] / run_s, "accounts/s")
    emit("run_two_partitions_accounts_per_s", sum(r["accounts"] for r in results) / (halves_s + close_april_s), "accounts/s")
    emit("run_peak_mb", peak, "MB")
    emit("lines", draft["lines"], "lines")
    emit("ledger_entries", closed["ledger_entries"], "entries")


if __name__ == "__main__":
    main()

"""Run, close, compare, status and prune: the use cases behind `python -m accruals.run`.

Locks. A run holds pg_advisory_lock_shared(PERIOD_LOCK, yyyymm) for its whole life (several
partition runs of one period may run at once); `close` takes the same lock exclusively and
gives up at once if a run holds it; a run started during a close gives up at once as well.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import queue
import resource
import threading
import time
from decimal import Decimal

from psycopg import sql

from accruals.domain import penalties as penalty_rules
from accruals.domain.charges import DEFAULT_SETTINGS, EngineSettings
from accruals.run import partition
from accruals.run.inputs import HISTORY_MONTHS, months_back
from accruals.run.worker import Job, Result, worker_main
from accruals.storage import runs as storage
from gorod_runtime.period import Period

DEFAULT_CHUNK = 4000           # accounts (input lines) per chunk handed to a worker
READ_AHEAD = 8                 # chunks the reader keeps ahead of the workers
CLOSE_BATCH = 10_000        # accounts per transaction of `close` (row locks held for one batch only)


class Refused(Exception):
    """The request is understood but not allowed now (exit code 1)."""


def last_day(period: Period) -> dt.date:
    return period.next().first_day - dt.timedelta(days=1)


def _plain(value):
    if isinstance(value, Decimal | Period | dt.date):
        return str(value)
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def settings_snapshot(engine: EngineSettings, penalty: penalty_rules.PenaltySettings) -> tuple[dict, str]:
    """The settings a run used, as JSON, and their SHA-256 (equal settings, equal hash)."""
    penalty_fields = {f.name: getattr(penalty, f.name) for f in dataclasses.fields(penalty) if f.name != "calendar"}
    snapshot = {"engine": _plain(dataclasses.asdict(engine)), "penalties": _plain(penalty_fields)}
    text = json.dumps(snapshot, sort_keys=True, ensure_ascii=False)
    return snapshot, hashlib.sha256(text.encode()).hexdigest()


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _try_lock(cur, period: dt.date, shared: bool) -> bool:
    function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    cur.execute(f"SELECT {function}(%s, %s)", (storage.PERIOD_LOCK, storage.lock_key(period)))
    return bool(cur.fetchone()[0])


# -- run --------------------------------------------------------------------------------------

def run_period(db_url: str, period: Period, part: int = 1, parts: int = 1, workers: int = 1, chunk: int = DEFAULT_CHUNK,
               operator: str = "", engine: EngineSettings = DEFAULT_SETTINGS,
               penalty: penalty_rules.PenaltySettings | None = None, profile_dir: str = "") -> dict:
    """Compute every account of `period` in partition part/parts into a new draft run."""
    started = time.perf_counter()
    penalty = penalty or penalty_rules.DEFAULT_SETTINGS
    first = period.first_day
    snapshot, digest = settings_snapshot(engine, penalty)
    snapshot["workers"] = workers
    conn = storage.connect(db_url, autocommit=False)
    try:
        cur = conn.cursor()
        if not _try_lock(cur, first, shared=True):
            raise Refused(f"period {period} is being closed; nothing was run")
        status = storage.period_status(cur, first)
        if status in ("closed", "closing"):
            raise Refused(f"period {period} is {status}: its charges are final and a closed period is never run again; "
                          "nothing was changed")
        storage.open_period_draft(cur, first)
        run_id = storage.create_run(cur, first, part, parts, snapshot, digest, operator)
        since = months_back(period, HISTORY_MONTHS).first_day
        with_history = bool(storage.closed_runs(cur, since, first))
        conn.commit()
        jobs = [Job(db_url=db_url, run_id=run_id, period=str(period), settings=engine, penalty_settings=penalty,
                    with_history=with_history,
                    profile=os.path.join(profile_dir, f"run{run_id}-w{w}.prof") if profile_dir else "")
                for w in range(workers)]
        params = {"first": first, "last": last_day(period), "prev": months_back(period, 1).first_day, "since": since}
        timings: dict[str, float] = {}
        try:
            results = _execute(db_url, storage.inputs_statement(part, parts), params, jobs, chunk, timings)
            mark = time.perf_counter()
            storage.attach_lines(cur, run_id)
            timings["index_s"] = time.perf_counter() - mark
        except BaseException:
            conn.rollback()
            storage.fail_run(cur, run_id)
            conn.commit()
            raise
        total = Result()
        shapes: dict = {}
        for r in results:
            total.accounts += r.accounts
            total.lines += r.lines
            total.charges += r.charges
            total.penalties += r.penalties
            total.errors += r.errors
            total.memo_hits += r.memo_hits
            total.problems += r.problems[:max(0, 100 - len(total.problems))]
            shapes.update(r.shapes)
        storage.store_shapes(cur, shapes)
        storage.finish_run(cur, run_id, {"accounts": total.accounts, "lines": total.lines, "charges": total.charges,
                                         "penalties": total.penalties, "errors": total.errors, "problems": total.problems})
        superseded = _supersede(cur, first, run_id, (part, parts))
        conn.commit()
    finally:
        conn.close()
    return {"run_id": run_id, "period": str(period), "partition": partition.label(part, parts), "status": "draft",
            "workers": workers, "accounts": total.accounts, "lines": total.lines, "charges_kopecks": total.charges,
            "penalties_kopecks": total.penalties, "errors": total.errors, "problems": total.problems[:10],
            "superseded": superseded, "settings_hash": digest, "memo_hits": total.memo_hits,
            "timings": {k: round(v, 3) for k, v in timings.items()},
            "seconds": round(time.perf_counter() - started, 3), "peak_mb": round(peak_mb(), 1)}


def _execute(db_url: str, statement, params: dict, jobs: list[Job], chunk: int, timings: dict) -> list[Result]:
    """Stream the inputs (a reader thread) to the workers (processes) in chunks of whole lines."""
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")   # no inherited connections or sockets
    tasks = context.Queue(maxsize=2 * len(jobs))
    results = context.Queue()
    processes = [context.Process(target=worker_main, args=(job, tasks, results), daemon=True) for job in jobs]
    for process in processes:
        process.start()
    read: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
    reader = threading.Thread(target=_read, args=(db_url, statement, params, chunk, read, timings, started), daemon=True)
    reader.start()
    try:
        while True:
            item = read.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            _put(tasks, item, processes)
        timings["inputs_read_s"] = time.perf_counter() - started
        for _ in processes:
            _put(tasks, None, processes)
        collected = []
        while len(collected) < len(processes):
            try:
                item = results.get(timeout=1)
            except queue.Empty:
                _check(processes)
                continue
            if isinstance(item, BaseException):
                raise item
            collected.append(item)
        for process in processes:
            process.join()
        timings["workers_done_s"] = time.perf_counter() - started
        timings["worker_cpu_s"] = sum(r.seconds for r in collected)
        return collected
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()


def _read(db_url: str, statement, params: dict, chunk: int, out: queue.Queue, timings: dict, started: float) -> None:
    """The reader thread: the statement's COPY output, cut into chunks of `chunk` whole lines."""
    try:
        conn = storage.connect(db_url)
        try:
            cur = conn.cursor()
            for setting in storage.READER_SETTINGS:
                cur.execute(setting)
            with cur.copy(statement, params) as copy:
                buffer = bytearray()
                lines = 0
                for data in copy:
                    if "first_input_s" not in timings:
                        timings["first_input_s"] = time.perf_counter() - started
                    buffer += data
                    lines += bytes(data).count(b"\n")
                    if lines >= chunk:
                        cut = buffer.rfind(b"\n") + 1
                        out.put(bytes(buffer[:cut]))
                        del buffer[:cut]
                        lines = 0
                if buffer:
                    out.put(bytes(buffer))
            conn.rollback()
        finally:
            conn.close()
        out.put(None)
    except BaseException as exc:   # handed to the main thread
        out.put(exc)


def _check(processes) -> None:
    for process in processes:
        if process.exitcode not in (None, 0):
            raise RuntimeError(f"a worker process exited with code {process.exitcode}")


def _put(tasks, item, processes) -> None:
    while True:
        try:
            tasks.put(item, timeout=1)
            return
        except queue.Full:
            _check(processes)


def _supersede(cur, first: dt.date, run_id: int, mine: tuple[int, int]) -> list[int]:
    """Older draft runs this run covers entirely are superseded (and this run, if a newer draft
    run covers it entirely, which happens when partition runs overlap in time)."""
    drafts = storage.runs_of(cur, first, ("draft",))
    done = [r["id"] for r in drafts if r["id"] < run_id and partition.contains(mine, (r["part"], r["parts"]))]
    if any(r["id"] > run_id and partition.contains((r["part"], r["parts"]), mine) for r in drafts):
        done.append(run_id)
    storage.set_status(cur, done, "superseded")
    return done


# -- close ------------------------------------------------------------------------------------

def close_period(db_url: str, period: Period, force: bool = False, batch: int = CLOSE_BATCH, workers: int = 2) -> dict:
    """Freeze the period: post the active draft lines to the ledger and mark everything closed.

    The posting goes by batches of accounts (each batch one transaction that takes its accounts'
    row locks, as every writer of the ledger does), `workers` batches at a time. The period is
    `closing` meanwhile (no run starts); a close that stopped half-way is simply started again."""
    started = time.perf_counter()
    first, last = period.first_day, last_day(period)
    conn = storage.connect(db_url, autocommit=False)
    try:
        cur = conn.cursor()
        if not _try_lock(cur, first, shared=False):
            raise Refused(f"a run of {period} is in progress; close it when the run has finished")
        status = storage.period_status(cur, first)
        if status == "closed":
            raise Refused(f"period {period} is already closed; nothing was changed")
        drafts = storage.runs_of(cur, first, ("draft",))
        if not drafts:
            raise Refused(f"period {period} has no draft run to close; run it first")
        count, sample = storage.uncovered_accounts(cur, first, last, [(r["part"], r["parts"]) for r in drafts])
        if count:
            raise Refused(f"{count} accounts of {period} are in no draft run (e.g. {', '.join(sample)}): run the missing "
                          "partitions first")
        errors = sum(r["errors"] for r in drafts)
        if errors and not force:
            raise Refused(f"the draft runs of {period} could not charge {errors} accounts (see `status`); fix the data "
                          "and run again, or close with --force")
        resume = status == "closing"
        storage.mark_closing(cur, first)
        conn.commit()
        closed, superseded, batches = [], [], []
        bounds = ["", *storage.batch_bounds(cur, batch), None]
        for run in drafts:
            newer = [(r["part"], r["parts"]) for r in drafts if r["id"] > run["id"]]
            if any(partition.contains(outer, (run["part"], run["parts"])) for outer in newer) or (
                    newer and not storage.unmasked_lines(cur, run["id"], newer)):
                superseded.append(run["id"])      # newer runs cover all its accounts
                continue
            batches += [(run["id"], newer, lo, hi) for lo, hi in zip(bounds, bounds[1:], strict=False)]
            closed.append(run["id"])
        conn.commit()
        entries = _post(db_url, batches, first, last, resume, workers)
        storage.set_status(cur, closed, "closed")
        storage.set_status(cur, superseded, "superseded")
        storage.close_period(cur, first)
        conn.commit()
    finally:
        conn.close()
    return {"period": str(period), "status": "closed", "runs": closed, "superseded": superseded, "ledger_entries": entries,
            "seconds": round(time.perf_counter() - started, 3)}


def _post(db_url: str, batches: list[tuple], first: dt.date, last: dt.date, resume: bool, workers: int) -> int:
    """Post the batches, `workers` at a time (threads: the database does the work), each committed alone."""
    local = threading.local()
    opened: list = []
    lock = threading.Lock()

    def post(item) -> int:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = storage.connect(db_url, autocommit=False)
            with lock:
                opened.append(conn)
        run_id, newer, lo, hi = item
        with conn.cursor() as cur:
            count = storage.post_batch(cur, run_id, newer, first, last, lo, hi, resume)
        conn.commit()
        return count

    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
            return sum(pool.map(post, batches))
    finally:
        for conn in opened:
            conn.close()


# -- status, prune --------------------------------------------------------------------------------

def status(db_url: str, period: Period) -> dict:
    with storage.connect(db_url) as conn:
        cur = conn.cursor()
        runs = storage.runs_of(cur, period.first_day)
        state = storage.period_status(cur, period.first_day) or "open"
    return {"period": str(period), "status": state, "runs": [
        {"run_id": r["id"], "partition": partition.label(r["part"], r["parts"]), "status": r["status"],
         "started_at": r["started_at"].isoformat(), "finished_at": r["finished_at"].isoformat() if r["finished_at"] else None,
         "accounts": r["accounts"], "lines": r["lines"], "charges_kopecks": r["charges_kopecks"],
         "penalties_kopecks": r["penalties_kopecks"], "errors": r["errors"], "problems": r["problems"][:10],
         "settings_hash": r["settings_hash"], "created_by": r["created_by"]} for r in runs]}


def prune(db_url: str, period: Period, keep: int = 1) -> dict:
    """Drop the lines of failed runs and of all but the newest `keep` superseded runs. When no
    run of the period is in progress, a run still marked `running` (its process died) is failed."""
    with storage.connect(db_url) as conn:
        cur = conn.cursor()
        if _try_lock(cur, period.first_day, shared=False):
            for run in storage.runs_of(cur, period.first_day, ("running",)):
                storage.fail_run(cur, run["id"])
        runs = storage.runs_of(cur, period.first_day, ("superseded", "failed"))
        superseded = [r["id"] for r in runs if r["status"] == "superseded"]
        dropped = [r["id"] for r in runs if r["status"] == "failed"] + superseded[:max(0, len(superseded) - keep)]
        for run_id in dropped:
            storage.drop_lines(cur, run_id)
        conn.commit()
    return {"period": str(period), "dropped": dropped}


def run_table(run_id: int) -> sql.Identifier:
    return sql.Identifier(storage.lines_table(run_id))

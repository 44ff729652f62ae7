"""Shared parts of the benchmarks: infrastructure, figures, percentiles.

Each benchmark prints one JSON object per figure: {"name": ..., "value": ..., "unit": ...}.
Speeds are reported against a baseline measured in the same run (the machines are shared).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import statistics
import sys
import tempfile
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "libs" / "gorod_runtime" / "tests"))  # the kit's sample service

from gorod_runtime import db, devinfra  # noqa: E402
from gorod_runtime.settings import database_url_for  # noqa: E402


def arguments(description: str, **extra) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a shorter run of the same figures")
    for name, (kind, default, help_text) in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=default, help=help_text)
    return parser.parse_args()


def emit(name: str, value: float, unit: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


@contextlib.contextmanager
def postgres():
    """A PostgreSQL server URL: GOROD_DATABASE_URL, the local server, or an embedded one."""
    url = os.environ.get("GOROD_DATABASE_URL")
    if url:
        yield url
    elif devinfra.server_answers(devinfra.LOCAL_SERVER_URL):
        yield devinfra.LOCAL_SERVER_URL
    else:
        with tempfile.TemporaryDirectory() as tmp:
            embedded = devinfra.EmbeddedPostgres(pathlib.Path(tmp) / "data")
            try:
                yield embedded.start()
            finally:
                embedded.stop()


@contextlib.contextmanager
def broker():
    """A Kafka-protocol bootstrap address: KAFKA_BOOTSTRAP_SERVERS or a fresh Tansu."""
    url = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if url:
        yield url
        return
    tansu = devinfra.Tansu().start()
    try:
        yield tansu.bootstrap
    finally:
        tansu.stop()


@contextlib.contextmanager
def database(server_url: str, service: str, migrations: pathlib.Path | None = None):
    """A fresh migrated database of `service`, dropped afterwards."""
    import sqlalchemy as sa

    from gorod_runtime.migrate import migrate

    name = f"gorod_bench_{service}_{uuid.uuid4().hex[:8]}"
    url = database_url_for(server_url, name)
    migrate(service, url, create=True, migrations=migrations)
    try:
        yield url
    finally:
        engine = db.make_engine(database_url_for(server_url, "postgres"), pool_size=1, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@contextlib.contextmanager
def service(path: str, db_url: str, kafka_bootstrap: str, **env):
    """A service process run by the kit, as in production."""
    from gorod_runtime.testing import ServiceProcess, service_env

    extra_path = str(ROOT / "libs" / "gorod_runtime" / "tests")
    env.setdefault("PYTHONPATH", extra_path + os.pathsep + os.pathsep.join(sys.path))
    env.setdefault("GOROD_LOG_LEVEL", os.environ.get("GOROD_LOG_LEVEL", "WARNING"))
    with tempfile.TemporaryDirectory() as tmp:
        process = ServiceProcess(path, service_env(db_url, kafka_bootstrap, **env), pathlib.Path(tmp) / "service.log")
        process.start()
        try:
            yield process
        finally:
            process.stop()


def timed_importer(module: str, url: str, kind: str, path) -> tuple[dict, float, float]:
    """`python -m <module> KIND FILE --json` in a child process, start to exit: (its report,
    seconds, the child's peak resident MB)."""
    import json
    import subprocess
    import time

    env = dict(os.environ, GOROD_DB_URL=url)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", module, kind, str(path), "--json", "--operator", "bench"],
                                   env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            raise SystemExit(f"{module} exited with {code}: {err.read().decode(errors='replace')[-2000:]}")
        return json.loads(out.read()), elapsed, usage.ru_maxrss / 1024


def copy_rows_per_s(url: str, columns: str, rows) -> float:
    """Baseline: a plain psycopg COPY of `rows` into a new table `bench_copy (<columns>)` (the
    first column its primary key), committed; rows per second."""
    import time

    import psycopg

    from gorod_runtime.imports.apply import connection_url

    names = ", ".join(c.split()[0] for c in columns.split(","))
    with psycopg.connect(connection_url(url)) as conn:
        conn.execute(f"CREATE TABLE bench_copy ({columns}, PRIMARY KEY ({names.split(',')[0]}))")
        count = 0
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY bench_copy ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
    return count / elapsed

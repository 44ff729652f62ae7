"""`make run`: the whole suite on this machine, with local infrastructure.

Starts PostgreSQL (the embedded `pgserver` in .run/pgdata unless GOROD_DATABASE_URL names
a server) and the Tansu broker (unless KAFKA_BOOTSTRAP_SERVERS is set), creates and
migrates every service's database, creates the topics, loads a small demo region into
accruals the first time (tools/demo_region.py, docs/demo-region.md), runs every process of the
Procfile under honcho, waits until all are healthy and prints the addresses.
Ctrl-C stops everything it started.

The accruals receipt-code secret (GOROD_RECEIPT_CODE_SECRET) is made once, at random, in
.run/receipt-code-secret and reused by later runs, unless the shell sets it.
"""
from __future__ import annotations

import importlib.util
import os
import pathlib
import secrets
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
VENV_BIN = pathlib.Path(sys.executable).parent
SERVICES = ("identity", "accruals", "meters", "payments", "notify")
SECRET_FILE = RUN_DIR / "receipt-code-secret"
TOKEN_FILE = RUN_DIR / "gateway-api-token"
DEMO_DIR = RUN_DIR / "demo"
DEMO_ACCOUNTS = 2000
DEMO_SEED = 1

sys.path.insert(0, str(ROOT / "libs" / "gorod_runtime"))

from gorod_runtime import devinfra, kafka  # noqa: E402
from gorod_runtime.migrate import migrate  # noqa: E402
from gorod_runtime.settings import GRPC_PORTS, database_url_for  # noqa: E402


def say(message: str) -> None:
    print(f"[gorod] {message}", flush=True)


def local_secret(path: pathlib.Path) -> str:
    """A secret of this machine's stack: made at random on the first run, kept in .run/."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


def receipt_code_secret() -> str:
    return local_secret(SECRET_FILE)


def _scalar(url: str, sql: str):
    import sqlalchemy as sa

    from gorod_runtime import db

    engine = db.make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def load_demo_region(env: dict[str, str], accruals_url: str, meters_url: str) -> None:
    """Generate a small region into .run/demo and import it, once: into an accruals database
    without accounts, and its meters into a meters database without meters (a stack made before
    the demo had meters gets them on its next start: the region is the same for the same seed).
    Each file goes through `python -m accruals.importer KIND FILE`, the meters registry through
    `python -m meters.importer meters FILE`."""
    need_accounts = not _scalar(accruals_url, "SELECT EXISTS (SELECT 1 FROM accounts)")
    need_meters = not _scalar(meters_url, "SELECT EXISTS (SELECT 1 FROM meters)")
    if not (need_accounts or need_meters):
        return
    if importlib.util.find_spec("accruals.importer") is None:
        say("demo region skipped: the accruals importer (accruals.importer) is not installed yet")
        return
    sys.path.insert(0, str(ROOT / "tools"))
    import demo_region

    summary = demo_region.generate(DEMO_DIR, DEMO_ACCOUNTS, seed=DEMO_SEED, meters=True)
    steps = [("meters", "meters", meters_url)] if need_meters else []
    if need_accounts:
        say(f"loading a demo region: {summary.accounts} accounts in {summary.houses} houses ({DEMO_DIR})")
        steps = [("accruals", kind, accruals_url) for kind in demo_region.FILES] + steps
    elif not _scalar(accruals_url, f"SELECT EXISTS (SELECT 1 FROM accounts WHERE number = '{summary.first_account}')"):
        return                          # the accounts are not the demo's: leave the meters empty
    else:
        say(f"loading the demo region's meters ({DEMO_DIR / 'meters.csv'})")
    for service, kind, url in steps:
        done = subprocess.run(
            [sys.executable, "-m", f"{service}.importer", kind, str(summary.files[kind]), "--operator", "demo-region"],
            cwd=ROOT, env=dict(env, GOROD_DB_URL=url), capture_output=True, text=True,
        )
        if done.returncode != 0:
            say(f"demo region: importing {kind} failed (exit {done.returncode}); the stack starts without it:")
            for line in (done.stderr.strip() or done.stdout.strip()).splitlines()[:6]:
                say(f"  {line}")
            return


def demo_summary(accruals_url: str) -> None:
    """The demo account count, one account and its current receipt code (GetReceiptCode)."""
    import grpc

    from gorod.accruals.v1 import accruals_pb2, accruals_pb2_grpc

    count = _scalar(accruals_url, "SELECT count(*) FROM accounts")
    if not count:
        say("  demo region   none loaded")
        return
    account = _scalar(accruals_url, "SELECT number FROM accounts WHERE closed_on IS NULL ORDER BY number LIMIT 1")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{GRPC_PORTS['accruals']}") as channel:
            code = accruals_pb2_grpc.AccrualsServiceStub(channel).GetReceiptCode(
                accruals_pb2.GetReceiptCodeRequest(account=account), timeout=5).code
    except grpc.RpcError as exc:
        code = f"(unavailable: {exc.code().name})"
    say(f"  demo region   {count} accounts; e.g. account {account}, receipt code {code}")


def wait_healthy(env: dict[str, str], honcho: subprocess.Popen, timeout: float = 90.0) -> None:
    import urllib.request

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + timeout
    pending = set(SERVICES) | {"gateway"}
    while pending:
        if honcho.poll() is not None:
            raise RuntimeError("a process exited during start-up; see the lines above")
        for name in sorted(pending):
            if name == "gateway":
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{env['GOROD_GATEWAY_PORT']}/readyz", timeout=2) as r:
                        ok = r.status == 200
                except OSError:
                    ok = False
            else:
                with grpc.insecure_channel(f"127.0.0.1:{GRPC_PORTS[name]}") as channel:
                    try:
                        ok = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1
                    except grpc.RpcError:
                        ok = False
            if ok:
                pending.discard(name)
        if time.monotonic() > deadline:
            raise TimeoutError(f"not healthy after {timeout:.0f} s: {', '.join(sorted(pending))}")
        time.sleep(0.3)


def run() -> int:
    RUN_DIR.mkdir(exist_ok=True)
    stack = []
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env.setdefault("GOROD_GATEWAY_PORT", "8080")
    if not env.get("GOROD_RECEIPT_CODE_SECRET"):
        env["GOROD_RECEIPT_CODE_SECRET"] = receipt_code_secret()
    if not env.get("GOROD_GATEWAY_API_TOKEN"):       # the gateway's resident endpoints need one (docs/meters.md)
        env["GOROD_GATEWAY_API_TOKEN"] = local_secret(TOKEN_FILE)
    honcho = None
    try:
        server_url = env.get("GOROD_DATABASE_URL")
        if not server_url:
            say("starting embedded PostgreSQL (.run/pgdata)")
            pg = devinfra.EmbeddedPostgres(RUN_DIR / "pgdata")
            server_url = pg.start()
            stack.append(pg)
            env["GOROD_DATABASE_URL"] = server_url
        if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            port = int(env.get("GOROD_KAFKA_PORT", "9092"))
            try:
                devinfra.wait_for_port("127.0.0.1", port, timeout=0.2)
                port = devinfra.free_port()  # 9092 is taken by something else
            except TimeoutError:
                pass
            say(f"starting the Tansu broker on 127.0.0.1:{port} (in memory)")
            broker = devinfra.Tansu(port=port, log_path=RUN_DIR / "tansu.log").start()
            stack.append(broker)
            env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
        kafka.ensure_topics(env["KAFKA_BOOTSTRAP_SERVERS"], kafka.TOPICS + kafka.DEAD_LETTER_TOPICS)
        for service in SERVICES:
            migrate(service, database_url_for(server_url, f"gorod_{service}"), create=True)
        accruals_url = database_url_for(server_url, "gorod_accruals")
        load_demo_region(env, accruals_url, database_url_for(server_url, "gorod_meters"))
        say("databases migrated; starting the services")
        honcho = subprocess.Popen([str(VENV_BIN / "honcho"), "-f", str(ROOT / "Procfile"), "start"], cwd=ROOT, env=env)
        wait_healthy(env, honcho)
        gateway = f"http://127.0.0.1:{env['GOROD_GATEWAY_PORT']}"
        say("all services are healthy")
        say(f"  API gateway   {gateway}/api/v1/  (OpenAPI: {gateway}/api/v1/openapi.json)")
        say(f"  readiness     {gateway}/readyz   metrics: {gateway}/metrics")
        for service in SERVICES:
            say(f"  {service:<13} gRPC 127.0.0.1:{GRPC_PORTS[service]}")
        say(f"  Kafka         {env['KAFKA_BOOTSTRAP_SERVERS']}")
        demo_summary(accruals_url)
        if env["GOROD_GATEWAY_API_TOKEN"] == local_secret(TOKEN_FILE):
            say(f"  API token     Authorization: Bearer $(cat {TOKEN_FILE.relative_to(ROOT)})")
        say("press Ctrl-C to stop")
        return honcho.wait()
    except KeyboardInterrupt:
        return 0
    except (ConnectionError, TimeoutError, RuntimeError) as exc:
        say(f"cannot start: {exc}")
        return 1
    finally:
        if honcho is not None and honcho.poll() is None:
            honcho.send_signal(signal.SIGINT)
            try:
                honcho.wait(30)
            except subprocess.TimeoutExpired:
                honcho.kill()
        for part in reversed(stack):
            part.stop()
        say("stopped")


if __name__ == "__main__":
    if sys.argv[1:] != ["run"]:
        print("usage: devstack.py run", file=sys.stderr)
        sys.exit(2)
    sys.exit(run())

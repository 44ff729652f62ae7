"""Deadline-peak load on SubmitReadings: a real meters process (PostgreSQL, outbox, relay to the
broker) called by many concurrent clients over gRPC, then the same load through the gateway
(gunicorn, HTTP/JSON).

As deployed for the peak: --replicas serving replicas of the meters service (default 2; the
client's channels are spread over them, as a Kubernetes Service spreads connections) run
without the outbox relay, and one more replica relays, so publishing to the broker runs
during the load. The gateway is in front of the first serving replica.

Registry: --accounts accounts with three meters each (cold water, hot water, two-zone
electricity): one call submits four readings, as a resident does before the 25th. Each client
thread owns a stripe of accounts and calls back to back. The load runs in --rounds rounds;
figures are medians over rounds:

  readings_per_s, submit_p99_ms, submit_p50_ms     gRPC SubmitReadings (target >= 1,000/s, p99 <= 100 ms)
  baseline_health_per_s                            grpc.health Check (readiness: SELECT 1) at the same concurrency, same run
  gateway_readings_per_s, gateway_submit_p99_ms    POST /api/v1/accounts/{account}/readings
  relay_backlog_after_s                            seconds until every outbox row reached the broker after the load
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import os
import pathlib
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import grpc
import sqlalchemy as sa
from common import ROOT, arguments, broker, database, emit, median, percentile, postgres, service
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gorod.meters.v1 import meters_pb2, meters_pb2_grpc
from gorod_runtime import db, devinfra

TOKEN = "bench-token-" + uuid.uuid4().hex + uuid.uuid4().hex

SEED = sa.text("""
INSERT INTO meters (account, service, serial, zones, unit, digits, decimals, supplier_inn, verification_due)
SELECT (100000000 + g)::text, s.service, s.service || '-' || g, s.zones, s.unit, s.digits, s.decimals, '2200000001',
       DATE '2030-01-01'
FROM generate_series(1, :accounts) g
CROSS JOIN (VALUES ('cold_water', 1, 'm3', 5, 3), ('hot_water', 1, 'm3', 5, 3), ('electricity', 2, 'kWh', 6, 0))
    AS s(service, zones, unit, digits, decimals)
""")


def seed(url: str, accounts: int) -> list[tuple[str, list[str]]]:
    engine = db.make_engine(url, pool_size=1)
    with engine.begin() as conn:
        conn.execute(SEED, {"accounts": accounts})
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE meters"))
        rows = conn.execute(sa.text(
            "SELECT account, array_agg(id::text ORDER BY service) AS ids FROM meters GROUP BY account ORDER BY account")).all()
    engine.dispose()
    return [(r.account, r.ids) for r in rows]   # ids: cold_water, electricity, hot_water


def readings_of(ids: list[str], value: int) -> list[tuple[str, str, str]]:
    cold, power, hot = ids
    return [(cold, f"{value}.125", ""), (hot, f"{value}.5", ""), (power, str(value * 10), "day"), (power, str(value * 4), "night")]


class Load:
    """`clients` threads calling back to back for `seconds`; latency of every call in ms."""

    def __init__(self, registry, clients: int):
        self.registry, self.clients = registry, clients
        self.round = itertools.count(1)

    def run(self, call, seconds: float) -> tuple[float, list[float]]:
        stripes = [self.registry[i::self.clients] for i in range(self.clients)]
        value = next(self.round)
        stop = time.perf_counter() + seconds
        samples: list[list[float]] = [[] for _ in range(self.clients)]
        errors: list[BaseException] = []

        def client(index: int):
            try:
                for n, (account, ids) in enumerate(itertools.cycle(stripes[index])):
                    if time.perf_counter() > stop:
                        return
                    started = time.perf_counter()
                    call(index, account, readings_of(ids, value * 1000 + n // len(stripes[index])), f"{value}-{n}")
                    samples[index].append((time.perf_counter() - started) * 1000)
            except BaseException as error:  # reported after the round
                errors.append(error)

        began = time.perf_counter()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        if errors:
            raise errors[0]
        flat = [s for part in samples for s in part]
        return len(flat) * 4 / elapsed, flat


def grpc_caller(addresses: list[str], channels: int):
    """`channels` channels spread over the replicas' addresses (as a Kubernetes Service spreads connections)."""
    stubs = [meters_pb2_grpc.MetersServiceStub(grpc.insecure_channel(addresses[i % len(addresses)])) for i in range(channels)]

    def call(index, account, readings, key):
        stubs[index % channels].SubmitReadings(meters_pb2.SubmitReadingsRequest(
            account=account, source="cabinet", idempotency_key=f"{account}-{key}",
            readings=[meters_pb2.ReadingInput(meter_id=m, value=v, zone=z) for m, v, z in readings]), timeout=10)
    return call


def http_caller(url: str):
    import json

    def call(index, account, readings, key):
        body = json.dumps({"readings": [{"meter_id": m, "value": v, "zone": z} for m, v, z in readings]}).encode()
        request = urllib.request.Request(f"{url}/api/v1/accounts/{account}/readings", data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}", "Idempotency-Key": f"{account}-{key}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            response.read()
    return call


def health_rate(address: str, clients: int, seconds: float) -> float:
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(address))
    stop = time.perf_counter() + seconds
    counts = [0] * clients

    def client(i):
        while time.perf_counter() < stop:
            stub.Check(health_pb2.HealthCheckRequest(), timeout=10)
            counts[i] += 1
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return sum(counts) / (time.perf_counter() - began)


def unpublished(url: str) -> int:
    engine = db.make_engine(url, pool_size=1)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
    engine.dispose()
    return count


def drain_seconds(url: str, timeout: float = 120) -> float:
    began = time.perf_counter()
    while unpublished(url) and time.perf_counter() - began < timeout:
        time.sleep(0.2)
    if unpublished(url):
        raise SystemExit("the relay did not publish every event")
    return time.perf_counter() - began


class Gateway:
    def __init__(self, meters_address: str):
        self.port = devinfra.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {f"GOROD_{name.upper()}_ADDR": meters_address
                            for name in ("identity", "accruals", "meters", "payments", "notify")} | {
            "GOROD_GATEWAY_PORT": str(self.port), "GOROD_GATEWAY_WORKERS": "2", "GOROD_GATEWAY_THREADS": "16",
            "GOROD_GATEWAY_API_TOKEN": TOKEN, "GOROD_LOG_LEVEL": "WARNING"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        gunicorn = pathlib.Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gateway" / "gunicorn.conf.py"), "gateway.wsgi:app"],
                                        cwd=ROOT / "gateway", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        devinfra.wait_for_port("127.0.0.1", self.port, timeout=30)

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


def main() -> None:
    args = arguments(__doc__, seconds=(float, 30.0, "load time per transport"), clients=(int, 16, "concurrent clients"),
                     accounts=(int, 50000, "accounts (three meters each)"), rounds=(int, 3, "rounds; figures are medians"),
                     no_gateway=(int, 0, "1: skip the gateway figures"),
                     replicas=(int, 2, "meters replicas serving the calls (besides the one that relays)"))
    seconds = 10.0 if args.quick else args.seconds
    accounts = min(args.accounts, 20000) if args.quick else args.accounts
    with postgres() as pg, broker() as kafka, database(pg, "meters") as url:
        registry = seed(url, accounts)
        # As deployed for the peak: the replica that serves calls leaves the relay to another
        # replica of the same service (one relay per database publishes anyway: ADR 0006).
        with contextlib.ExitStack() as stack:
            serving = [stack.enter_context(service("meters.service:MetersService", url, kafka, GOROD_RELAY_ENABLED="false"))
                       for _ in range(args.replicas)]
            stack.enter_context(service("meters.service:MetersService", url, kafka))
            meters = serving[0]
            addresses = [replica.address for replica in serving]
            load = Load(registry, args.clients)
            load.run(grpc_caller(addresses, 4), 1.0)       # warm-up
            rates, p99s, p50s, baselines = [], [], [], []
            for _ in range(args.rounds):
                baselines.append(health_rate(meters.address, args.clients, 1.0))
                rate, samples = load.run(grpc_caller(addresses, 4), seconds / args.rounds)
                rates.append(rate)
                p99s.append(percentile(samples, 99))
                p50s.append(percentile(samples, 50))
            emit("readings_per_s", median(rates), "readings/s")
            emit("submit_p99_ms", median(p99s), "ms")
            emit("submit_p50_ms", median(p50s), "ms")
            emit("baseline_health_per_s", median(baselines), "calls/s")
            emit("relay_backlog_after_s", drain_seconds(url), "s")
            if not args.no_gateway:
                gateway = Gateway(meters.address)
                try:
                    load.run(http_caller(gateway.url), 1.0)
                    rates, p99s = [], []
                    for _ in range(args.rounds):
                        rate, samples = load.run(http_caller(gateway.url), seconds / args.rounds)
                        rates.append(rate)
                        p99s.append(percentile(samples, 99))
                finally:
                    gateway.stop()
                emit("gateway_readings_per_s", median(rates), "readings/s")
                emit("gateway_submit_p99_ms", median(p99s), "ms")


if __name__ == "__main__":
    main()

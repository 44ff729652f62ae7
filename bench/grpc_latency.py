"""Unary gRPC latency: the kit's nameko entrypoint against a plain grpcio server.

Both serve IdentityService.Describe in their own process; the client calls each one
sequentially over one channel. Figures: kit_p50_ms, kit_p99_ms, grpcio_p50_ms,
grpcio_p99_ms and p50_ratio (kit over grpcio; target <= 2).
"""
from __future__ import annotations

import subprocess
import sys
import time

import grpc
from common import arguments, broker, database, emit, percentile, postgres, service

from gorod.identity.v1 import identity_pb2, identity_pb2_grpc
from gorod_runtime import devinfra

PLAIN_SERVER = """
import sys
from concurrent import futures
import grpc
from gorod.identity.v1 import identity_pb2, identity_pb2_grpc

class Identity(identity_pb2_grpc.IdentityServiceServicer):
    def Describe(self, request, context):
        return identity_pb2.DescribeResponse(service="identity", version="0.1.0")

server = grpc.server(futures.ThreadPoolExecutor(max_workers=10))
identity_pb2_grpc.add_IdentityServiceServicer_to_server(Identity(), server)
server.add_insecure_port(f"127.0.0.1:{sys.argv[1]}")
server.start()
server.wait_for_termination()
"""


def measure(address: str, calls: int, warmup: int = 200) -> list[float]:
    with grpc.insecure_channel(address) as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        request = identity_pb2.DescribeRequest()
        for _ in range(warmup):
            stub.Describe(request, timeout=5)
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            stub.Describe(request, timeout=5)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    args = arguments(__doc__, calls=(int, 1000, "sequential calls per server"), rounds=(int, 3, "alternating rounds"))
    calls = 300 if args.quick else args.calls
    with postgres() as pg, broker() as kafka, database(pg, "identity") as url, \
            service("identity.service:IdentityService", url, kafka) as kit:
        port = devinfra.free_port()
        plain = subprocess.Popen([sys.executable, "-c", PLAIN_SERVER, str(port)])
        try:
            devinfra.wait_for_port("127.0.0.1", port)
            kit_samples, plain_samples = [], []
            for _ in range(1 if args.quick else args.rounds):  # alternate, so noise hits both alike
                kit_samples += measure(kit.address, calls)
                plain_samples += measure(f"127.0.0.1:{port}", calls)
        finally:
            plain.terminate()
            plain.wait()
    kit_p50, plain_p50 = percentile(kit_samples, 50), percentile(plain_samples, 50)
    emit("kit_p50_ms", kit_p50, "ms")
    emit("kit_p99_ms", percentile(kit_samples, 99), "ms")
    emit("grpcio_p50_ms", plain_p50, "ms")
    emit("grpcio_p99_ms", percentile(plain_samples, 99), "ms")
    emit("p50_ratio", kit_p50 / plain_p50, "x")


if __name__ == "__main__":
    main()

"""Run one Gorod service: `python -m gorod_runtime.run meters.service:MetersService`.

Bad settings or an unreachable database end the process with one clear line and exit
code 2. SIGTERM and SIGINT stop it gracefully: entrypoints stop taking work, running
workers finish, consumers commit what they finished.
"""
from __future__ import annotations

import eventlet  # noqa: E402

import gorod_runtime  # noqa: F401  (quietens eventlet's import warning)

eventlet.monkey_patch()  # before anything else imports socket, threading or time

import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

from nameko import config  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from gorod_runtime import db, logs, metrics  # noqa: E402
from gorod_runtime.settings import SettingsError, load  # noqa: E402

log = logging.getLogger("gorod_runtime.run")


def load_service(path: str):
    module_name, _, class_name = path.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def _check_port_free(host: str, port: int) -> None:
    """Bind and release the gRPC port first: a failure inside the container would be a traceback."""
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    finally:
        probe.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or ":" not in argv[0]:
        print("usage: python -m gorod_runtime.run package.module:ServiceClass", file=sys.stderr)
        return 2
    service_cls = load_service(argv[0])
    name = service_cls.name
    try:
        settings = load(name)
        options = service_cls.load_service_settings() if getattr(service_cls, "load_service_settings", None) else None
        db.check_connection(settings.db_url)
    except (SettingsError, ConnectionError) as exc:
        print(f"gorod-{name}: {exc}", file=sys.stderr)
        return 2
    logs.configure(name, settings.log_level)
    config.setup({"GOROD": settings, "SERVICE_OPTIONS": options, "max_workers": settings.max_workers})
    try:
        metrics.serve(settings.metrics_port, settings.grpc_host)
    except OSError as exc:
        print(f"gorod-{name}: cannot serve metrics on port {settings.metrics_port}: {exc.strerror}", file=sys.stderr)
        return 2

    runner = ServiceRunner()
    runner.add_service(service_cls)

    def shutdown(signum, frame):
        log.info("stopping on signal %s", signal.Signals(signum).name)
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        _check_port_free(settings.grpc_host, settings.grpc_port)
    except OSError as exc:
        print(f"gorod-{name}: cannot listen on {settings.grpc_host}:{settings.grpc_port}: {exc.strerror}", file=sys.stderr)
        return 2
    runner.start()
    log.info("serving gRPC on %s:%s", settings.grpc_host, settings.grpc_port)
    runner.wait()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The whole suite as real processes: five services on their own databases, the broker,
and the gateway under gunicorn, all on free loopback ports."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time
import urllib.request

import pytest

from gorod_runtime import devinfra

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICES = {
    "identity": "identity.service:IdentityService",
    "accruals": "accruals.service:AccrualsService",
    "meters": "meters.service:MetersService",
    "payments": "payments.service:PaymentsService",
    "notify": "notify.service:NotifyService",
}


class Suite:
    def __init__(self, services, databases, gateway_url):
        self.services = services      # name -> ServiceProcess
        self.databases = databases    # name -> database URL
        self.gateway_url = gateway_url


def http_get(url: str, timeout: float = 5.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def suite(make_database_module, start_service_module, tmp_path_factory):
    databases = {name: make_database_module(name) for name in SERVICES}
    services = {name: start_service_module(path, databases[name], wait=False) for name, path in SERVICES.items()}
    for service in services.values():
        service.wait_serving()
    port = devinfra.free_port()
    env = dict(os.environ, GOROD_GATEWAY_PORT=str(port), GOROD_GATEWAY_WORKERS="1")
    env.update({f"GOROD_{name.upper()}_ADDR": s.address for name, s in services.items()})
    with open(tmp_path_factory.mktemp("gateway") / "gateway.log", "ab") as log:
        gateway = subprocess.Popen(
            [str(pathlib.Path(sys.executable).parent / "gunicorn"), "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http_get(f"{url}/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if gateway.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not become ready")
            time.sleep(0.2)
        yield Suite(services, databases, url)
    finally:
        gateway.terminate()
        gateway.wait(30)

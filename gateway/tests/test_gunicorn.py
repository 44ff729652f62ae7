"""The real gateway under gunicorn, over real HTTP, with every service down."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from gateway.settings import SERVICES

GATEWAY = pathlib.Path(__file__).resolve().parents[1]
GUNICORN = [str(pathlib.Path(sys.executable).parent / "gunicorn"), "-c", str(GATEWAY / "gunicorn.conf.py"),
            "gateway.wsgi:app"]


def get(url: str, headers: dict[str, str] | None = None):
    """(status, headers, body) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def gateway_url(tmp_path, unused_port, nowhere):
    env = os.environ | {f"GOROD_{name.upper()}_ADDR": nowhere for name in SERVICES} | {
        "GOROD_GATEWAY_PORT": str(unused_port), "GOROD_GATEWAY_WORKERS": "2", "GOROD_GATEWAY_THREADS": "4",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    stderr = tmp_path / "gateway.log"
    with stderr.open("wb") as log:
        process = subprocess.Popen(GUNICORN, cwd=GATEWAY.parent, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{unused_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, stderr.read_text()
            try:
                if get(f"{url}/healthz")[0] == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, "the gateway did not start:\n" + stderr.read_text()
                time.sleep(0.1)
        yield url, stderr
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def test_the_gateway_under_gunicorn(gateway_url):
    url, log = gateway_url

    status, _, body = get(f"{url}/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})

    status, _, body = get(f"{url}/readyz")
    assert status == 503
    assert json.loads(body) == {"status": "unavailable", "upstreams": {name: "UNAVAILABLE" for name in SERVICES}}

    status, headers, body = get(f"{url}/api/v1/openapi.json")
    assert status == 200
    assert json.loads(body)["paths"]["/readyz"]["get"]["responses"]["503"]

    status, headers, body = get(f"{url}/api/v1/no-such-thing", {"X-Request-ID": "gunicorn-1"})
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["X-Request-ID"] == "gunicorn-1"
    assert json.loads(body)["code"] == "request.not_found"
    assert json.loads(body)["request_id"] == "gunicorn-1"

    # Samples of both workers are summed; each request above was counted by one of them.
    status, _, body = get(f"{url}/metrics")
    assert status == 200
    text = body.decode()
    for route, code in [("/readyz", 503), ("unmatched", 404)]:
        assert f'gorod_gateway_request_seconds_count{{method="GET",route="{route}",status="{code}"}} 1.0' in text
    assert 'gorod_gateway_problems_total{code="request.not_found"} 1.0' in text

    # Logs are JSON lines, the request's with its id.
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(line.get("correlation_id") == "gunicorn-1" and line["status"] == 404 for line in lines)


def test_bad_settings_stop_gunicorn_with_one_line(unused_port):
    env = os.environ | {"GOROD_GATEWAY_PORT": "eighty", "GOROD_GATEWAY_DEADLINE_S": "0"}

    result = subprocess.run(GUNICORN, cwd=GATEWAY.parent, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "gorod-gateway: bad settings: GOROD_GATEWAY_PORT: Not a valid integer.; "
        "GOROD_GATEWAY_DEADLINE_S: Must be greater than or equal to 0.01 and less than or equal to 300."
    ]

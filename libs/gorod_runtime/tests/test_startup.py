"""A process with bad settings or no database exits with one clear line, not a traceback."""
import os
import subprocess
import sys

import pytest

from gorod_runtime import devinfra


def run_service(*args, **env):
    full_env = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-m", *args], env=full_env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GOROD_GRPC_PORT": "seventy"}, "GOROD_GRPC_PORT: Not a valid integer."),
        ({"GOROD_GRPC_PORT": "70000"}, "GOROD_GRPC_PORT: Must be greater than or equal to 1 and less than or equal to 65535."),
        ({"GOROD_TZ": "Asia/Nowhere"}, "GOROD_TZ: unknown time zone 'Asia/Nowhere'"),
        ({"GOROD_LOG_LEVEL": "LOUD"}, "GOROD_LOG_LEVEL: Must be one of: DEBUG, INFO, WARNING, ERROR."),
        ({"GOROD_RELAY_ENABLED": "perhaps"}, "GOROD_RELAY_ENABLED: Not a valid boolean."),
    ],
)
def test_bad_settings_exit_with_one_line(env, expected):
    result = run_service("gorod_runtime.run", "meters.service:MetersService", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gorod-meters: bad settings: ")
    assert expected in lines[0]


def test_every_bad_setting_is_named_at_once():
    result = run_service("gorod_runtime.run", "meters.service:MetersService", GOROD_GRPC_PORT="x", GOROD_MAX_WORKERS="0")
    assert result.returncode == 2
    assert "GOROD_GRPC_PORT" in result.stderr and "GOROD_MAX_WORKERS" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_database_exits_with_one_line():
    port = devinfra.free_port()  # nothing listens there
    result = run_service("gorod_runtime.run", "meters.service:MetersService",
                         GOROD_DB_URL=f"postgresql://gorod:secret@127.0.0.1:{port}/gorod_meters")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gorod-meters: cannot reach database postgresql+psycopg2://gorod:***@127.0.0.1:{port}/gorod_meters: ")
    assert "secret" not in result.stderr


def test_migrate_with_an_unreachable_database_exits_with_one_line():
    port = devinfra.free_port()
    result = run_service("gorod_runtime.migrate", "accruals", GOROD_DB_URL=f"postgresql://postgres@127.0.0.1:{port}/x")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("gorod-accruals migrate: cannot reach database")


def test_a_taken_grpc_port_exits_with_one_line(make_database):
    import socket

    url = make_database("identity")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_service("gorod_runtime.run", "identity.service:IdentityService", GOROD_DB_URL=url,
                             GOROD_GRPC_PORT=str(port), GOROD_METRICS_PORT="0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"gorod-identity: cannot listen on 127.0.0.1:{port}: Address already in use"]

"""Gateway settings from environment variables."""
from __future__ import annotations

import dataclasses

from environs import Env, EnvError
from marshmallow.validate import Range

from gorod_runtime.settings import GRPC_PORTS, SettingsError, _one_line

SERVICES = tuple(GRPC_PORTS)


@dataclasses.dataclass(frozen=True)
class GatewaySettings:
    port: int
    upstreams: dict[str, str]   # service -> host:port
    deadline_s: float
    ready_deadline_s: float


def load() -> GatewaySettings:
    env = Env(eager=False)
    try:
        settings = GatewaySettings(
            port=env.int("GOROD_GATEWAY_PORT", 8080, validate=Range(min=1, max=65535)),
            upstreams={
                name: env.str(f"GOROD_{name.upper()}_ADDR", f"127.0.0.1:{port}") for name, port in GRPC_PORTS.items()
            },
            deadline_s=env.float("GOROD_GATEWAY_DEADLINE_S", 5.0, validate=Range(min=0.01, max=300)),
            ready_deadline_s=env.float("GOROD_GATEWAY_READY_DEADLINE_S", 1.0, validate=Range(min=0.01, max=60)),
        )
        env.seal()
    except EnvError as exc:
        raise SettingsError(_one_line(exc)) from None
    return settings

"""/healthz and /readyz against real grpc.health.v1 servers."""
from __future__ import annotations

from gateway.settings import SERVICES


def test_healthz_calls_no_upstream(make_client, nowhere):
    response = make_client({name: nowhere for name in SERVICES}).get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_200_when_every_upstream_is_serving(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "upstreams": {name: "SERVING" for name in SERVICES}}


def test_readyz_is_503_naming_the_upstreams_that_are_not_serving(make_client, serving, not_serving, nowhere):
    addresses = {name: serving for name in SERVICES} | {"meters": not_serving, "payments": nowhere}

    response = make_client(addresses).get("/readyz")

    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["upstreams"] == {
        "identity": "SERVING", "accruals": "SERVING", "notify": "SERVING",
        "meters": "NOT_SERVING", "payments": "UNAVAILABLE",
    }

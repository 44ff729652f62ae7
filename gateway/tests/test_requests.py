"""Request ids (X-Request-ID in and out, x-correlation-id to the services) and metrics."""
from __future__ import annotations

import re

import pytest


def test_a_valid_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "web-1.2_3"})

    assert response.headers["X-Request-ID"] == "web-1.2_3"


def test_a_request_id_is_generated_when_absent(client):
    first, second = client.get("/healthz"), client.get("/healthz")

    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("unsafe", ["a" * 65, "with space", "quote\"", "a/b", "caf\u00e9", "semi;colon"])
def test_an_unsafe_request_id_is_replaced(client, unsafe):
    response = client.get("/healthz", headers={"X-Request-ID": unsafe})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_a_64_character_request_id_is_kept(client):
    request_id = "r" * 64

    assert client.get("/healthz", headers={"X-Request-ID": request_id}).headers["X-Request-ID"] == request_id


def test_the_request_id_reaches_the_service_as_x_correlation_id(client, meters):
    servicer, _ = meters

    response = client.post("/test/readings", json={"account": "100200300"}, headers={"X-Request-ID": "corr-42"})

    assert response.status_code == 200
    assert response.json == {"submission_id": "sub-1"}
    assert servicer.metadata[-1]["x-correlation-id"] == "corr-42"


def test_a_generated_request_id_reaches_the_service_too(client, meters):
    servicer, _ = meters

    response = client.post("/test/readings", json={"account": "100200300"})

    assert servicer.metadata[-1]["x-correlation-id"] == response.headers["X-Request-ID"]


def test_metrics_count_requests_by_route_template_and_problems_by_code(client):
    client.get("/healthz")
    client.get("/no/such/route/100200300")

    text = client.get("/metrics").get_data(as_text=True)

    assert 'gorod_gateway_request_seconds_count{method="GET",route="/healthz",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert "100200300" not in text  # paths (account numbers) never become labels
    assert re.search(r'gorod_gateway_problems_total\{code="request.not_found"\} [1-9]', text)


def test_an_unknown_method_is_one_label_value(client):
    client.open("/healthz", method="BREW")

    assert 'method="other",route="unmatched",status="405"' in client.get("/metrics").get_data(as_text=True)

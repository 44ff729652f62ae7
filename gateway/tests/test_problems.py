"""Every error path answers application/problem+json with a stable code and the request id."""
from __future__ import annotations

import pytest
from flask_smorest import abort

from gateway.problems import Problem
from gateway.settings import SERVICES
from gateway.upstreams import Upstreams
from gorod.meters.v1 import meters_pb2

REQUEST_ID = {"X-Request-ID": "req-1"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(f"/problems/{code}")
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_unknown_route_is_404(client):
    body = assert_problem(client.get("/api/v1/nothing-here", headers=REQUEST_ID), 404, "request.not_found")

    assert body["request_id"] == "req-1"


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/healthz", headers=REQUEST_ID)

    assert_problem(response, 405, "request.method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_a_body_over_the_limit_is_413(client):
    response = client.post("/test/readings", data=b"x" * (1024 * 1024 + 1), content_type="application/json")

    assert_problem(response, 413, "request.too_large")


def test_webargs_validation_is_422_with_the_fields(client):
    body = assert_problem(client.post("/test/readings", json={"acount": "1"}), 422, "request.invalid")

    assert body["errors"]["json"]["account"] == ["Missing data for required field."]
    assert body["errors"]["json"]["acount"] == ["Unknown field."]


def test_malformed_json_is_400(client):
    assert_problem(client.post("/test/readings", data=b"{", content_type="application/json"), 400, "request.bad")


def test_an_unhandled_error_is_500_without_its_cause(client, caplog):
    response = client.get("/test/boom", headers=REQUEST_ID)

    body = assert_problem(response, 500, "internal")
    assert "secret" not in response.get_data(as_text=True)
    assert body["detail"] == "internal error"
    assert any(record.exc_info and "secret cause" in str(record.exc_info[1]) for record in caplog.records)


def test_flask_smorest_abort_is_problem_json_too(client):
    app = client.application

    @app.get("/test/abort")
    def conflict():
        abort(409, message="the period is closed", headers={"Retry-After": "60"})

    response = client.get("/test/abort")

    body = assert_problem(response, 409, "request.conflict")
    assert body["detail"] == "the period is closed"
    assert response.headers["Retry-After"] == "60"


def test_a_problem_raised_by_a_view_keeps_its_code(client):
    app = client.application

    @app.get("/test/problem")
    def refuse():
        raise Problem(403, "account.not_linked", "the account is not linked to you", field="account")

    body = assert_problem(client.get("/test/problem"), 403, "account.not_linked")
    assert body["field"] == "account"


def test_upstream_invalid_argument_keeps_the_services_code(client):
    response = client.post("/test/readings", json={"account": "invalid"}, headers=REQUEST_ID)

    body = assert_problem(response, 422, "reading.invalid_value")
    assert body["field"] == "readings[0].value"
    assert body["detail"] == "the value is not a number"
    assert body["request_id"] == "req-1"


def test_upstream_deadline_is_504(make_client, all_serving):
    client = make_client(all_serving, deadline_s=0.2)

    assert_problem(client.post("/test/readings", json={"account": "slow"}), 504, "upstream.timeout")


def test_upstream_unavailable_is_503(make_client, all_serving, nowhere):
    client = make_client(all_serving | {"meters": nowhere})

    assert_problem(client.post("/test/readings", json={"account": "1"}), 503, "upstream.unavailable")


def test_upstream_failure_without_detail_is_502(client):
    assert_problem(client.post("/test/readings", json={"account": "broken"}), 502, "upstream.error")


@pytest.mark.parametrize(("account", "status", "code"), [
    ("invalid", 422, "reading.invalid_value"),
    ("slow", 504, "upstream.timeout"),
    ("broken", 502, "upstream.error"),
])
def test_upstreams_call_raises_problems(meters, account, status, code):
    upstreams = Upstreams({name: meters[1] for name in SERVICES}, deadline_s=0.2)
    try:
        with pytest.raises(Problem) as raised:
            upstreams.call("meters", "SubmitReadings", meters_pb2.SubmitReadingsRequest(account=account))
    finally:
        upstreams.close()

    assert (raised.value.status, raised.value.code) == (status, code)


def test_upstreams_call_passes_its_deadline(meters):
    upstreams = Upstreams({"meters": meters[1]}, deadline_s=30)
    try:
        with pytest.raises(Problem) as raised:
            upstreams.call("meters", "SubmitReadings", meters_pb2.SubmitReadingsRequest(account="slow"), deadline_s=0.1)
    finally:
        upstreams.close()

    assert raised.value.code == "upstream.timeout"

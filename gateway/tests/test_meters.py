"""The resident meters endpoints against a real meters process (real PostgreSQL, gRPC over a socket)."""
from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import grpc
import pytest
import sqlalchemy as sa

from gateway.app import create_app
from gateway.settings import SERVICES, GatewaySettings
from gateway.upstreams import Upstreams
from gorod.meters.v1 import meters_pb2, meters_pb2_grpc
from gorod_runtime import db
from meters.domain import windows
from meters.domain.queries import previous

TOKEN = "test-token-0123456789-0123456789-abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def meters_db(make_database_module):
    return make_database_module("meters")


@pytest.fixture(scope="module")
def meters_address(meters_db, start_service_module):
    return start_service_module("meters.service:MetersService", meters_db).address


@pytest.fixture(scope="module")
def client(meters_address):
    settings = GatewaySettings(host="127.0.0.1", port=8080, workers=1, threads=1, log_level="INFO",
                               upstreams={name: meters_address for name in SERVICES}, deadline_s=5.0,
                               ready_deadline_s=1.0, api_token=TOKEN)
    upstreams = Upstreams(settings.upstreams, settings.deadline_s)
    yield create_app(settings, upstreams).test_client()
    upstreams.close()


@pytest.fixture
def account(meters_address):
    """A fresh account with a cold-water meter and a two-zone electricity meter: (account, cold id, power id)."""
    number = f"5{uuid.uuid4().int % 10**9:09d}"
    with grpc.insecure_channel(meters_address) as channel:
        stub = meters_pb2_grpc.MetersServiceStub(channel)
        ids = [stub.RegisterMeter(meters_pb2.RegisterMeterRequest(meter=meters_pb2.Meter(
            account=number, service=service, serial=f"S-{service}", zones=zones, unit=unit, digits=6, decimals=decimals,
        )), timeout=5).meter_id for service, zones, unit, decimals in (("cold_water", 1, "m3", 3), ("electricity", 2, "kWh", 0))]
    return number, *ids


def post(client, account, readings, key="k-1", headers=AUTH):
    return client.post(f"/api/v1/accounts/{account}/readings", json={"readings": readings},
                       headers={**headers, **({"Idempotency-Key": key} if key else {})})


def test_submit_list_and_history(client, account):
    number, cold, power = account
    response = post(client, number, [{"meter_id": cold, "value": "12,5"}, {"meter_id": power, "value": "100", "zone": "day"},
                                     {"meter_id": power, "value": "50", "zone": "night"}])
    assert response.status_code == 201, response.get_json()
    assert response.headers["Idempotent-Replayed"] == "false"
    ack = response.get_json()
    assert [(r["meter_id"], r["zone"], r["value"]) for r in ack["readings"]] == [
        (cold, "", "12.500"), (power, "day", "100"), (power, "night", "50")]
    assert ack["readings"][0]["period"] and ack["submission_id"] and ack["accepted_at"].endswith("Z")

    again = post(client, number, [{"meter_id": cold, "value": "12,5"}, {"meter_id": power, "value": "100", "zone": "day"},
                                  {"meter_id": power, "value": "50", "zone": "night"}])
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == ack

    listed = client.get(f"/api/v1/accounts/{number}/meters", headers=AUTH).get_json()
    by_id = {m["meter_id"]: m for m in listed["meters"]}
    assert by_id[power]["zones"] == ["day", "night"] and by_id[cold]["accepts_readings"]
    assert by_id[cold]["last_readings"][0]["value"] == "12.500"

    history = client.get(f"/api/v1/accounts/{number}/meters/{cold}/history", headers=AUTH).get_json()
    assert [(r["value"], r["counts"]) for r in history["readings"]] == [("12.500", True)]


def test_errors_are_problems_with_stable_codes_and_russian_detail(client, account):
    number, cold, power = account
    response = post(client, number, [{"meter_id": power, "value": "100", "zone": "day"}])
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert (body["code"], body["field"]) == ("reading.zones_incomplete", "readings[0].zone")
    assert "всех зон" in body["detail"]

    assert post(client, number, [{"meter_id": cold, "value": "1"}], key="").status_code == 428
    assert post(client, number, [{"meter_id": cold, "value": "1"}], headers={}).get_json()["code"] == "request.unauthenticated"
    other = client.get("/api/v1/accounts/123456789/meters/" + cold + "/history", headers=AUTH)
    assert (other.status_code, other.get_json()["code"]) == (404, "meter.not_found")   # another account's meter
    assert client.get(f"/api/v1/accounts/{number}/meters", headers={"Authorization": "Bearer wrong"}).status_code == 401
    # The gateway's own validation speaks Russian on these endpoints too; the health endpoints keep English.
    malformed = client.post(f"/api/v1/accounts/{number}/readings", json={"readings": "no"},
                            headers={**AUTH, "Idempotency-Key": "k-bad"})
    body = malformed.get_json()
    assert (malformed.status_code, body["code"]) == (422, "request.invalid") and "readings" in body["errors"]["json"]
    assert body["detail"].startswith("Запрос заполнен неверно")


def test_history_between_periods_with_consumption(client, account, meters_db):
    number, cold, power = account
    now = windows.period_for(windows.Window(), dt.datetime.now(dt.UTC), "Asia/Barnaul")   # as the default window counts
    last = previous(now)
    # Last period's reading, as a submission then would have left it (one sent now counts for `now`).
    engine = db.make_engine(meters_db, pool_size=1)
    with engine.begin() as conn:
        at = dt.datetime(last.year, last.month, 24, 12, tzinfo=zoneinfo.ZoneInfo("Asia/Barnaul"))
        submission = str(uuid.uuid4())
        conn.execute(sa.text("INSERT INTO submissions (id, account, request_hash, source, accepted_at) "
                             "VALUES (:id, :account, 'seed', 'operator', :at)"), {"id": submission, "account": number, "at": at})
        conn.execute(sa.text("INSERT INTO readings (id, submission_id, meter_id, account, service, value, period, source, "
                             "submitted_at) VALUES (:id, :s, :m, :a, 'cold_water', 10.000, :p, 'operator', :at)"),
                     {"id": str(uuid.uuid4()), "s": submission, "m": int(cold), "a": number, "p": last.first_day, "at": at})
    engine.dispose()
    assert post(client, number, [{"meter_id": cold, "value": "12,5"}], key="h-1").status_code == 201
    assert post(client, number, [{"meter_id": cold, "value": "12,75"}], key="h-2").status_code == 201   # a correction

    url = f"/api/v1/accounts/{number}/meters/{cold}/history"
    body = client.get(f"{url}?from={last}&to={now}", headers=AUTH).get_json()
    assert [(r["period"], r["value"], r["counts"], r["source"]) for r in body["readings"]] == [
        (str(last), "10.000", True, "operator"), (str(now), "12.500", False, "cabinet"), (str(now), "12.750", True, "cabinet")]
    assert body["consumption"] == [{"period": str(last), "zone": "", "value": "10.000", "consumption": None},
                                   {"period": str(now), "zone": "", "value": "12.750", "consumption": "2.750"}]
    assert (body["meter"]["meter_id"], body["meter"]["service"], body["meter"]["zones"], body["meter"]["status"]) == (
        cold, "cold_water", [""], "active")
    assert "accepts_readings" not in body["meter"]          # ListMeters says that; the history does not know it
    only_last = client.get(f"{url}?from={last}&to={last}", headers=AUTH).get_json()
    assert [r["value"] for r in only_last["readings"]] == ["10.000"]

    backwards = client.get(f"{url}?from={now}&to={last}", headers=AUTH)
    assert backwards.status_code == 422 and backwards.mimetype == "application/problem+json"
    assert (backwards.get_json()["code"], backwards.get_json()["field"], backwards.get_json()["detail"]) == (
        "history.invalid_range", "from_period", "Начало периода позже его конца.")
    bad = client.get(f"{url}?from=2026-13", headers=AUTH)
    assert (bad.status_code, bad.get_json()["code"]) == (422, "request.invalid")
    assert "from" in bad.get_json()["errors"]["query"]
    assert (client.get(f"/api/v1/accounts/{number}/meters/abc/history", headers=AUTH).status_code,
            client.get(f"/api/v1/accounts/{number}/meters/999999999/history", headers=AUTH).status_code) == (404, 404)

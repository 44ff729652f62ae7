"""Resident endpoints for meters: list meters, submit readings (Idempotency-Key), history.

Errors keep the meters service's stable `code`; their `detail` is Russian, for the resident
(docs/meters.md lists every code). Until identity issues tokens these endpoints take only
`Authorization: Bearer <GOROD_GATEWAY_API_TOKEN>` (an operator's or a test's token).
"""
from __future__ import annotations

import hmac
import re

import flask
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway.problems import Problem, messages_for
from gorod.meters.v1 import meters_pb2

blp = Blueprint("meters", __name__, url_prefix="/api/v1", description="Meters and readings of a personal account")

ACCOUNT = "<string:account>"   # checked by the meters service (account.invalid)
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"

# Russian text for the resident, by stable code. A code not listed keeps the service's detail.
MESSAGES_RU = {
    "account.invalid": "Номер лицевого счёта — от 6 до 12 цифр.",
    "meter.not_found": "Такого счётчика нет на этом лицевом счёте.",
    "meter.archived": "Счётчик снят с учёта, показания по нему не принимаются.",
    "meter.broken": "Счётчик отмечен как неисправный, показания по нему не принимаются. Обратитесь в управляющую компанию.",
    "meter.verification_expired": "Срок поверки счётчика истёк, показания по нему не принимаются. "
                                  "Проведите поверку или замените счётчик и сообщите об этом в управляющую компанию.",
    "reading.invalid_value": "Показание должно быть неотрицательным числом, например 123,456.",
    "reading.too_many_decimals": "Слишком много знаков после запятой для этого счётчика.",
    "reading.too_many_digits": "Слишком много цифр до запятой для этого счётчика.",
    "reading.below_previous": "Показание меньше предыдущего. Проверьте цифры.",
    "reading.confirmation_required": "Расход получается необычно большим. Проверьте показание и подтвердите его.",
    "reading.zones_incomplete": "Для многотарифного счётчика передайте показания всех зон (тарифов) вместе.",
    "reading.invalid_zone": "У этого счётчика нет такой зоны (тарифа).",
    "reading.outside_window": "Сейчас показания по этому счётчику не принимаются: "
                              "срок приёма показаний ещё не наступил или уже закончился.",
    "reading.duplicate": "Показание одного и того же счётчика (зоны) указано дважды.",
    "reading.empty": "Передайте хотя бы одно показание.",
    "reading.too_many": "Слишком много показаний в одном запросе.",
    "reading.invalid_source": "Неизвестный источник показаний.",
    "submission.key_reused": "Этот ключ идемпотентности уже использован для других показаний.",
    "history.invalid_range": "Начало периода позже его конца.",
    "request.invalid_period": "Период указывается как ГГГГ-ММ.",
    "request.idempotency_key_required": "Нужен заголовок Idempotency-Key: повтор запроса с тем же ключом не создаст вторую запись.",
    "request.unauthenticated": "Требуется авторизация.",
    "upstream.timeout": "Сервис показаний не ответил вовремя. Повторите запрос с тем же ключом Idempotency-Key.",
    "upstream.unavailable": "Сервис показаний временно недоступен. Повторите попытку позже.",
    "upstream.error": "Сервис показаний не смог обработать запрос. Повторите попытку позже.",
    "request.invalid": "Запрос заполнен неверно: проверьте поля (подробности — в errors).",
    "request.unsupported_media_type": "Тело запроса передаётся в формате JSON (Content-Type: application/json).",
    "internal": "Внутренняя ошибка. Повторите попытку позже.",
}


messages_for(blp, MESSAGES_RU)


class PeriodSchema(Schema):
    year = fields.Integer()
    month = fields.Integer()


class LastReadingSchema(Schema):
    zone = fields.String()
    value = fields.String(metadata={"description": "decimal string"})
    period = fields.String(metadata={"description": "YYYY-MM"})
    submitted_at = fields.String()


class MeterSchema(Schema):
    meter_id = fields.String()
    service = fields.String(metadata={"description": "cold_water, hot_water, electricity, gas, heat"})
    serial = fields.String()
    zones = fields.List(fields.String(), metadata={"description": "[''] or day/night or peak/semi_peak/night"})
    placement = fields.String()
    unit = fields.String()
    digits = fields.Integer()
    decimals = fields.Integer()
    verification_due = fields.String(allow_none=True)
    status = fields.String()
    accepts_readings = fields.Boolean()
    refusal_code = fields.String(allow_none=True)
    refusal = fields.String(allow_none=True, metadata={"description": "why not, in Russian"})
    last_readings = fields.List(fields.Nested(LastReadingSchema))


class MetersSchema(Schema):
    account = fields.String()
    current_period = fields.String(allow_none=True, metadata={"description": "the period a reading sent now counts for"})
    meters = fields.List(fields.Nested(MeterSchema))


class ReadingInSchema(Schema):
    meter_id = fields.String(required=True, validate=validate.Length(min=1, max=20))
    value = fields.String(required=True, validate=validate.Length(min=1, max=32))
    zone = fields.String(load_default="", validate=validate.OneOf(["", "day", "night", "peak", "semi_peak"]))
    confirmed = fields.Boolean(load_default=False)


class SubmitSchema(Schema):
    readings = fields.List(fields.Nested(ReadingInSchema), required=True, validate=validate.Length(min=1, max=50))
    source = fields.String(load_default="cabinet", validate=validate.OneOf(["cabinet", "mobile"]))


class AcceptedSchema(Schema):
    reading_id = fields.String()
    meter_id = fields.String()
    serial = fields.String()
    service = fields.String()
    zone = fields.String()
    value = fields.String()
    previous_value = fields.String(allow_none=True)
    consumption = fields.String(allow_none=True)
    rolled_over = fields.Boolean()
    correction = fields.Boolean()
    period = fields.String(metadata={"description": "YYYY-MM, the period the reading counts for"})


class AcknowledgementSchema(Schema):
    submission_id = fields.String()
    account = fields.String()
    accepted_at = fields.String()
    source = fields.String()
    readings = fields.List(fields.Nested(AcceptedSchema))


class HistoryArgs(Schema):
    from_ = fields.String(data_key="from", validate=validate.Regexp(_PERIOD))
    to = fields.String(validate=validate.Regexp(_PERIOD))


class HistoryReadingSchema(Schema):
    reading_id = fields.String()
    zone = fields.String()
    value = fields.String()
    period = fields.String()
    submitted_at = fields.String()
    source = fields.String()
    counts = fields.Boolean()


class PeriodConsumptionSchema(Schema):
    period = fields.String()
    zone = fields.String()
    value = fields.String()
    consumption = fields.String(allow_none=True)


class HistoryMeterSchema(MeterSchema):
    class Meta:   # GetHistory does not say whether the meter takes readings now (ListMeters does)
        exclude = ("accepts_readings", "refusal_code", "refusal", "last_readings")


class HistorySchema(Schema):
    meter = fields.Nested(HistoryMeterSchema)
    readings = fields.List(fields.Nested(HistoryReadingSchema))
    consumption = fields.List(fields.Nested(PeriodConsumptionSchema))


def _authorize() -> None:
    token = flask.current_app.extensions["gorod.settings"].api_token
    given = flask.request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Problem(401, "request.unauthenticated", MESSAGES_RU["request.unauthenticated"],
                      headers={"WWW-Authenticate": "Bearer"})


def _call(method: str, request):
    return flask.current_app.extensions["gorod.upstreams"].call("meters", method, request)


def _period(p) -> str | None:
    return f"{p.year:04d}-{p.month:02d}" if p.year else None


def _none(text: str) -> str | None:
    return text or None


_ZONES = {1: [""], 2: ["day", "night"], 3: ["peak", "semi_peak", "night"]}


def _meter(m) -> dict:
    return {
        "meter_id": m.meter_id, "service": m.service, "serial": m.serial, "zones": _ZONES.get(m.zones, [""]),
        "placement": m.placement, "unit": m.unit, "digits": m.digits, "decimals": m.decimals,
        "verification_due": _none(m.verification_due), "status": m.status, "accepts_readings": m.accepts_readings,
        "refusal_code": _none(m.refusal_code), "refusal": MESSAGES_RU.get(m.refusal_code) if m.refusal_code else None,
        "last_readings": [{"zone": r.zone, "value": r.value, "period": _period(r.period),
                           "submitted_at": r.submitted_at.ToDatetime().isoformat() + "Z"} for r in m.last_readings],
    }


@blp.route(f"/accounts/{ACCOUNT}/meters")
@blp.response(200, MetersSchema)
def list_meters(account: str):
    """The account's meters, their latest readings, and whether each takes a reading now."""
    _authorize()
    response = _call("ListMeters", meters_pb2.ListMetersRequest(account=account))
    return {"account": account, "current_period": _period(response.current_period),
            "meters": [_meter(m) for m in response.meters]}


@blp.route(f"/accounts/{ACCOUNT}/readings", methods=["POST"])
@blp.arguments(SubmitSchema)
@blp.response(201, AcknowledgementSchema)
def submit_readings(args, account: str):
    """Submit readings of several meters at once; all are accepted or none. Requires an
    Idempotency-Key header: a repeat with the same key answers the first acknowledgement again
    (with `Idempotent-Replayed: true`)."""
    _authorize()
    key = flask.request.headers.get("Idempotency-Key", "")
    if not _KEY.match(key):
        raise Problem(428 if not key else 422, "request.idempotency_key_required",
                      MESSAGES_RU["request.idempotency_key_required"], field="Idempotency-Key")
    request = meters_pb2.SubmitReadingsRequest(account=account, source=args["source"], idempotency_key=key, readings=[
        meters_pb2.ReadingInput(meter_id=r["meter_id"], value=r["value"], zone=r["zone"], confirmed=r["confirmed"])
        for r in args["readings"]])
    ack = _call("SubmitReadings", request)
    body = {
        "submission_id": ack.submission_id, "account": ack.account, "source": ack.source,
        "accepted_at": ack.accepted_at.ToDatetime().isoformat() + "Z",
        "readings": [{
            "reading_id": r.reading_id, "meter_id": r.meter_id, "serial": r.serial, "service": r.service, "zone": r.zone,
            "value": r.value, "previous_value": _none(r.previous_value), "consumption": _none(r.consumption),
            "rolled_over": r.rolled_over, "correction": r.correction, "period": _period(r.period),
        } for r in ack.readings],
    }
    return body, 201, {"Idempotent-Replayed": "true" if ack.replayed else "false"}


@blp.route(f"/accounts/{ACCOUNT}/meters/<string:meter_id>/history")
@blp.arguments(HistoryArgs, location="query")
@blp.response(200, HistorySchema)
def history(args, account: str, meter_id: str):
    """Readings of a meter (every zone) and the consumption per period; `from`/`to` as YYYY-MM."""
    _authorize()
    request = meters_pb2.GetHistoryRequest(meter_id=meter_id, account=account)
    for name, field in (("from_", request.from_period), ("to", request.to_period)):
        if args.get(name):
            field.year, field.month = int(args[name][:4]), int(args[name][5:])
    response = _call("GetHistory", request)
    return {
        "meter": _meter(response.meter),
        "readings": [{"reading_id": r.reading_id, "zone": r.zone, "value": r.value, "period": _period(r.period),
                      "submitted_at": r.submitted_at.ToDatetime().isoformat() + "Z", "source": r.source,
                      "counts": r.counts} for r in response.readings],
        "consumption": [{"period": _period(c.period), "zone": c.zone, "value": c.value,
                         "consumption": _none(c.consumption)} for c in response.consumption],
    }

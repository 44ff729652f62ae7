"""Queries: ListMeters, GetHistory, GetConsumption, reminders."""
from __future__ import annotations

from gorod.meters.v1 import meters_pb2
from gorod_runtime.period import Period
from meters.domain import queries as domain
from meters.domain.registry import Meter
from meters.grpc_api.common import fill_meter, set_period, text


def list_meters_response(views: list[domain.MeterView], current: Period | None) -> meters_pb2.ListMetersResponse:
    response = meters_pb2.ListMetersResponse()
    if current is not None:
        set_period(response.current_period, current)
    for view in views:
        item = response.meters.add(accepts_readings=not view.refusal_code, refusal_code=view.refusal_code)
        fill_meter(item, view.meter)
        for r in view.last_readings:
            last = item.last_readings.add(zone=r.zone, value=str(r.value))
            set_period(last.period, r.period)
            last.submitted_at.FromDatetime(r.submitted_at)
    return response


def history_response(meter: Meter, readings: list[domain.HistoryReading]) -> meters_pb2.GetHistoryResponse:
    response = meters_pb2.GetHistoryResponse()
    fill_meter(response.meter, meter)
    for r in readings:
        item = response.readings.add(reading_id=r.reading_id, zone=r.zone, value=str(r.value), source=r.source,
                                     counts=r.counts, consumption=text(r.consumption) if r.counts else "")
        set_period(item.period, r.period)
        item.submitted_at.FromDatetime(r.submitted_at)
        if r.counts:
            per = response.consumption.add(zone=r.zone, value=str(r.value), consumption=text(r.consumption))
            set_period(per.period, r.period)
    return response


def consumption_response(records: list[domain.ConsumptionRecord]) -> meters_pb2.GetConsumptionResponse:
    response = meters_pb2.GetConsumptionResponse()
    for r in records:
        item = response.records.add(account=r.account, meter_id=str(r.meter_id), service=r.service, zone=r.zone,
                                    value=str(r.value), consumption=text(r.consumption), unit=r.unit)
        set_period(item.period, r.period)
    return response


def verification_due_response(meters: list[Meter], next_after: str) -> meters_pb2.ListVerificationDueResponse:
    response = meters_pb2.ListVerificationDueResponse(next_after_meter_id=next_after)
    for meter in meters:
        fill_meter(response.meters.add(), meter)
    return response

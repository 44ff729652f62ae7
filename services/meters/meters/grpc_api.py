"""Proto <-> domain mapping for the meters gRPC API."""
from __future__ import annotations

from gorod.meters.v1 import meters_pb2
from meters import domain


def readings_from_request(request: meters_pb2.SubmitReadingsRequest) -> list[domain.ReadingInput]:
    return [domain.ReadingInput(meter_id=r.meter_id, value=r.value, zone=r.zone) for r in request.readings]


def submit_response(accepted: list[domain.AcceptedReading]) -> meters_pb2.SubmitReadingsResponse:
    response = meters_pb2.SubmitReadingsResponse(submission_id=accepted[0].submission_id)
    response.accepted_at.FromDatetime(accepted[0].submitted_at)
    for r in accepted:
        item = response.readings.add(reading_id=r.reading_id, meter_id=r.meter_id, value=str(r.value), zone=r.zone)
        item.period.year, item.period.month = r.period.year, r.period.month
    return response

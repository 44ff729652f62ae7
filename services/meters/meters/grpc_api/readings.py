"""SubmitReadings: request -> Submission, Acknowledgement -> response."""
from __future__ import annotations

from gorod.meters.v1 import meters_pb2
from meters.domain import readings as domain
from meters.grpc_api.common import set_period, text


def submission_from(request: meters_pb2.SubmitReadingsRequest) -> domain.Submission:
    return domain.Submission(
        account=request.account,
        readings=tuple(domain.ReadingInput(r.meter_id, r.value, r.zone, r.confirmed) for r in request.readings),
        source=request.source or "cabinet", idempotency_key=request.idempotency_key,
    )


def submit_response(ack: domain.Acknowledgement) -> meters_pb2.SubmitReadingsResponse:
    response = meters_pb2.SubmitReadingsResponse(
        submission_id=ack.submission_id, account=ack.account, replayed=ack.replayed, source=ack.source)
    response.accepted_at.FromDatetime(ack.accepted_at)
    for r in ack.readings:
        item = response.readings.add(
            reading_id=r.reading_id, meter_id=str(r.meter_id), value=str(r.value), zone=r.zone, service=r.service,
            consumption=text(r.consumption), previous_value=text(r.previous_value), rolled_over=r.rolled_over,
            correction=r.correction, serial=r.serial,
        )
        set_period(item.period, r.period)
    return response

"""Registry maintenance and submission windows."""
from __future__ import annotations

from gorod.meters.v1 import meters_pb2
from meters.domain import registry as domain
from meters.domain import windows
from meters.grpc_api.common import fill_meter


def meter_from(request: meters_pb2.RegisterMeterRequest) -> domain.Meter:
    m = request.meter
    return domain.Meter(
        id=0, account=m.account, service=m.service, serial=m.serial.strip(), zones=m.zones or 1, unit=m.unit,
        digits=m.digits, decimals=m.decimals, supplier_inn=m.supplier_inn, placement=m.placement,
        installed_on=domain.parse_date(m.installed_on, "meter.installed_on"),
        sealed_on=domain.parse_date(m.sealed_on, "meter.sealed_on"),
        verification_due=domain.parse_date(m.verification_due, "meter.verification_due"),
    )


def meter_response(meter: domain.Meter, history: list[domain.StatusChange] = ()) -> meters_pb2.Meter:
    message = meters_pb2.Meter()
    fill_meter(message, meter)
    for change in history:
        item = message.status_history.add(status=change.status, reason=change.reason, source=change.source)
        item.changed_at.FromDatetime(change.changed_at)
    return message


def window_from(message: meters_pb2.SubmissionWindow) -> windows.Window:
    return windows.Window(message.first_day, message.last_day, message.outside or "next", message.supplier_inn,
                          message.service)


def window_message(window: windows.Window) -> meters_pb2.SubmissionWindow:
    return meters_pb2.SubmissionWindow(supplier_inn=window.supplier_inn, service=window.service, first_day=window.first_day,
                                       last_day=window.last_day, outside=window.outside)


def windows_response(rows: list[windows.Window], default: windows.Window) -> meters_pb2.ListSubmissionWindowsResponse:
    return meters_pb2.ListSubmissionWindowsResponse(windows=[window_message(w) for w in rows],
                                                    default_window=window_message(default))

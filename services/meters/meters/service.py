"""The meters nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from nameko.timer import timer

from gorod.meters.v1 import meters_pb2, meters_pb2_grpc
from gorod_runtime.errors import DomainError
from gorod_runtime.grpc import Grpc
from gorod_runtime.outbox import OutboxRelayRunner
from gorod_runtime.service import GorodService, ServiceOptions
from meters import settings as meters_settings
from meters.domain import registry as registry_domain
from meters.grpc_api import common
from meters.grpc_api import imports as imports_api
from meters.grpc_api import queries as queries_api
from meters.grpc_api import readings as readings_api
from meters.grpc_api import registry as registry_api
from meters.handlers import imports as import_handlers
from meters.handlers import queries as query_handlers
from meters.handlers import readings as reading_handlers
from meters.handlers import registry as registry_handlers

grpc = Grpc.implementing(meters_pb2_grpc.MetersServiceStub)


class MetersService(GorodService):
    name = "meters"
    load_service_settings = staticmethod(meters_settings.load)

    outbox_relay = OutboxRelayRunner()
    options = ServiceOptions()

    # -- readings ----------------------------------------------------------------------------

    @grpc
    def SubmitReadings(self, request, context):
        ack = reading_handlers.submit_readings(self.uow, self.options, readings_api.submission_from(request))
        return readings_api.submit_response(ack)

    # -- queries -----------------------------------------------------------------------------

    @grpc
    def ListMeters(self, request, context):
        views, current = query_handlers.list_meters(self.uow, self.options, request.account, request.include_archived)
        return queries_api.list_meters_response(views, current)

    @grpc
    def GetHistory(self, request, context):
        meter, readings = query_handlers.history(
            self.uow, self.options, common.meter_id(request.meter_id), request.account,
            common.period_from(request.from_period, "from_period", required=False),
            common.period_from(request.to_period, "to_period", required=False))
        return queries_api.history_response(meter, readings)

    @grpc
    def GetConsumption(self, request, context):
        periods = [common.period_from(p, f"periods[{i}]") for i, p in enumerate(request.periods)]
        return queries_api.consumption_response(query_handlers.consumption(self.uow, list(request.accounts), periods))

    @grpc
    def ListAccountsWithoutReadings(self, request, context):
        accounts, next_after = query_handlers.accounts_without_readings(
            self.uow, common.period_from(request.period, "period"), request.supplier_inn, request.after_account,
            request.limit)
        return meters_pb2.ListAccountsWithoutReadingsResponse(accounts=accounts, next_after_account=next_after)

    @grpc
    def ListVerificationDue(self, request, context):
        after = common.meter_id(request.after_meter_id, "after_meter_id", DomainError) if request.after_meter_id else 0
        meters, next_after = query_handlers.verification_due(
            self.uow, self.options, request.within_days, request.supplier_inn, after, request.limit)
        return queries_api.verification_due_response(meters, next_after)

    # -- registry and windows ----------------------------------------------------------------

    @grpc
    def RegisterMeter(self, request, context):
        meter = registry_handlers.register_meter(self.uow, registry_api.meter_from(request), request.operator)
        return registry_api.meter_response(meter)

    @grpc
    def ChangeMeterStatus(self, request, context):
        meter, history = registry_handlers.change_status(
            self.uow, common.meter_id(request.meter_id), request.status, request.reason, request.operator,
            registry_domain.parse_date(request.verification_due, "verification_due"))
        return registry_api.meter_response(meter, history)

    @grpc
    def SetSubmissionWindow(self, request, context):
        registry_handlers.set_window(self.uow, registry_api.window_from(request), "operator", request.remove)
        return request

    @grpc
    def ListSubmissionWindows(self, request, context):
        return registry_api.windows_response(registry_handlers.list_windows(self.uow), self.options.default_window)

    # -- bulk import of the registry (docs/meters-import.md) ---------------------------------

    @grpc
    def ImportFile(self, request_stream, context):
        header, chunks = imports_api.file_from_stream(request_stream)
        return imports_api.report_response(import_handlers.import_stream(self.settings, header, chunks))

    # -- daily: statuses catch up with verification dates ------------------------------------

    @timer(interval=3600)
    def expire_verifications(self):
        registry_handlers.expire_verifications(self.uow, self.options.tz)

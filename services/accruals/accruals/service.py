"""The accruals nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from accruals import settings as accruals_settings
from accruals.grpc_api import calculator as calculator_api
from accruals.grpc_api import consumption as consumption_api
from accruals.grpc_api import imports as imports_api
from accruals.grpc_api import ledger as ledger_api
from accruals.grpc_api import queries as queries_api
from accruals.grpc_api import receipt_codes as receipt_codes_api
from accruals.grpc_api import receipts as receipts_api
from accruals.handlers import calculator as calculator_handlers
from accruals.handlers import consumption as consumption_handlers
from accruals.handlers import imports as import_handlers
from accruals.handlers import ledger as ledger_handlers
from accruals.handlers import queries as query_handlers
from accruals.handlers import receipt_codes as receipt_code_handlers
from accruals.handlers import receipts as receipt_handlers
from gorod.accruals.v1 import accruals_pb2_grpc
from gorod_runtime.consumer import consume
from gorod_runtime.events import Event
from gorod_runtime.grpc import Grpc
from gorod_runtime.outbox import OutboxRelayRunner
from gorod_runtime.service import GorodService, ServiceOptions

grpc = Grpc.implementing(accruals_pb2_grpc.AccrualsServiceStub)


class AccrualsService(GorodService):
    name = "accruals"
    load_service_settings = staticmethod(accruals_settings.load)

    outbox_relay = OutboxRelayRunner()
    options = ServiceOptions()

    # -- readings and payments from other services ------------------------------------------

    @consume("meters.reading-submitted.v1", group="accruals.consumption")
    def on_reading_submitted(self, event: Event):
        consumption_handlers.record_reading(self.uow, event.payload)

    @consume("payments.payment-posted.v1", group="accruals.payments")
    def on_payment_posted(self, event: Event):
        ledger_handlers.post_payment(self.uow, event.payload, tz=self.settings.tz)

    @grpc
    def GetConsumption(self, request, context):
        return consumption_api.consumption_response(
            consumption_handlers.consumption_of(self.uow, consumption_api.accounts_from(request)))

    # -- imports -----------------------------------------------------------------------------

    @grpc
    def ImportFile(self, request_stream, context):
        header, chunks = imports_api.file_from_stream(request_stream)
        return imports_api.report_response(import_handlers.import_stream(self.settings, header, chunks))

    # -- balances, statements, accounts ------------------------------------------------------

    @grpc
    def GetBalances(self, request, context):
        query = queries_api.balances_query(request, self.settings.tz)
        return queries_api.balances_response(query_handlers.balances(self.uow, query))

    @grpc
    def GetStatement(self, request, context):
        query = queries_api.statement_query(request)
        return queries_api.statement_response(query_handlers.statement(self.uow, query))

    @grpc
    def GetAccount(self, request, context):
        return queries_api.account_response(query_handlers.account(self.uow, queries_api.account_number(request)))

    @grpc
    def SearchAccounts(self, request, context):
        query = queries_api.search_query(request)
        return queries_api.search_response(query_handlers.search_accounts(self.uow, query))

    # -- corrections -------------------------------------------------------------------------

    @grpc
    def PostCorrection(self, request, context):
        command = ledger_api.correction_command(request, self.settings.tz)
        return ledger_api.correction_response(ledger_handlers.post_correction(self.uow, command))

    @grpc
    def ReverseEntry(self, request, context):
        command = ledger_api.reversal_command(request, self.settings.tz)
        return ledger_api.reversal_response(ledger_handlers.reverse_entry(self.uow, command))

    # -- receipt codes -----------------------------------------------------------------------

    @grpc
    def VerifyReceiptCode(self, request, context):
        valid = receipt_code_handlers.verify(self.uow, self.options, request.account, request.code)
        return receipt_codes_api.verify_response(valid)

    @grpc
    def GetReceiptCode(self, request, context):
        period = receipt_codes_api.period_from(request)
        return receipt_codes_api.code_response(receipt_code_handlers.code_for(self.uow, self.options, request.account, period))

    @grpc
    def RotateReceiptCode(self, request, context):
        receipt_code_handlers.rotate(self.uow, request.account, request.operator, request.reason)
        return receipt_codes_api.rotate_response()

    # -- receipt data ------------------------------------------------------------------------

    @grpc
    def GetReceiptData(self, request, context):
        account, period = receipts_api.request_from(request)
        return receipts_api.receipt_response(receipt_handlers.receipt_data(self.uow, self.options, account, period))

    # -- the scenario calculator -------------------------------------------------------------

    @grpc
    def Calculate(self, request, context):
        return calculator_api.result_response(calculator_handlers.calculate(calculator_api.scenario_from(request)))

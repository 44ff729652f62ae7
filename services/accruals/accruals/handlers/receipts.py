"""Receipt data of one account and period (GetReceiptData): read, then assemble (domain.receipts)."""
from __future__ import annotations

import datetime as dt

from accruals.domain import receipts as domain
from accruals.handlers import receipt_codes
from accruals.run.inputs import HISTORY_MONTHS, months_back
from accruals.settings import AccrualsSettings
from accruals.storage import accounts as account_storage
from accruals.storage import receipts as storage
from gorod_runtime.errors import NotFound
from gorod_runtime.period import Period
from gorod_runtime.uow import UnitOfWork


def receipt_data(uow: UnitOfWork, options: AccrualsSettings, account: str, period: Period) -> domain.ReceiptData:
    """Everything the payment document of `account` for `period` needs. NotFound when there is no
    such account (account.not_found) or no run of the period has computed it (receipt.not_computed)."""
    first = period.first_day
    last = period.next().first_day - dt.timedelta(days=1)
    with uow:
        conn = uow.connection
        found_account = account_storage.account(conn, account, first)
        if found_account is None:
            raise NotFound("account.not_found", f"no account {account}", "account")
        run = storage.covering_run(conn, account, first)
        if run is None:
            raise NotFound("receipt.not_computed", f"no run of {period} has computed account {account}", "period")
        run_id, run_status = run
        lines = storage.lines(conn, run_id, account)
        opening = storage.opening(conn, account, first)
        movements = storage.movements(conn, account, first, last)
        readings = storage.readings(conn, account, first, months_back(period, HISTORY_MONTHS).first_day)
        recipient_ids = set(opening) | {line.recipient_id for line in lines} | {m.recipient_id for m in movements}
        organisations = storage.organisations_by_id(conn, recipient_ids)
        services = storage.services_by_code(conn, {line.service_code for line in lines if line.service_code}
                                            | {r.service_code for r in readings})
        executor = storage.executor(conn)
        company = storage.management_company(conn, account)
    code = receipt_codes.code_for(uow, options, account, period)
    return domain.assemble(domain.ReceiptInputs(
        period=period, account=found_account, executor=executor, management_company=company, organisations=organisations,
        services=services, run_id=run_id, run_status=run_status, lines=lines, opening=opening, movements=movements,
        readings=readings, code=code))

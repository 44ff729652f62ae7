"""Query use cases: balances of many accounts, statements, one account, search."""
from __future__ import annotations

import datetime as dt
import os

from accruals.domain import accounts as account_domain
from accruals.domain import ledger
from accruals.domain import queries as domain
from accruals.storage import accounts as account_storage
from accruals.storage import ledger as ledger_storage
from gorod_runtime.errors import NotFound
from gorod_runtime.uow import UnitOfWork


def _today() -> dt.date:
    # The region's date for "services charged now"; GOROD_TZ is validated by the kit at start.
    return ledger.today(os.environ.get("GOROD_TZ") or "Asia/Barnaul")


def balances(uow: UnitOfWork, query: domain.BalancesQuery) -> list[domain.AccountBalance]:
    """Per account (request order) and recipient, the sum of entries dated on or before
    query.as_of; an unknown account answers found=False."""
    distinct = list(dict.fromkeys(query.accounts))
    with uow:
        sums = ledger_storage.balances(uow.connection, distinct, query.as_of)
    return domain.account_balances(query, sums)


def statement(uow: UnitOfWork, query: domain.StatementQuery) -> ledger.Statement:
    with uow:
        conn = uow.connection
        if not account_storage.exists(conn, query.account):
            raise NotFound("account.not_found", f"no account {query.account}", "account")
        entries = ledger_storage.entries_of(conn, query.account, until=ledger.last_day(query.last))
    return ledger.statement(query.account, entries, query.first, query.last)


def account(uow: UnitOfWork, number: str, today: dt.date | None = None) -> account_domain.Account:
    with uow:
        found = account_storage.account(uow.connection, number, today or _today())
    if found is None:
        raise NotFound("account.not_found", f"no account {number}", "account")
    return found


def search_accounts(uow: UnitOfWork, query: domain.SearchQuery, today: dt.date | None = None) -> domain.SearchResult:
    with uow:
        page, more = account_storage.search(uow.connection, query, today or _today())
    token = domain.page_token(query, page[-1].number) if more and page else ""
    return domain.SearchResult(tuple(page), token)

"""Proto <-> domain mapping for balances, statements, accounts and search."""
from __future__ import annotations

from accruals.domain import accounts as account_domain
from accruals.domain import ledger
from accruals.domain import queries as domain
from gorod.accruals.v1 import accruals_pb2


def balances_query(request: accruals_pb2.GetBalancesRequest, tz: str) -> domain.BalancesQuery:
    return domain.balances_query(list(request.accounts), request.as_of, ledger.today(tz))


def balances_response(result: list[domain.AccountBalance]) -> accruals_pb2.GetBalancesResponse:
    # add() builds in place (append() would copy): up to 1000 accounts x recipients per answer.
    response = accruals_pb2.GetBalancesResponse()
    add = response.balances.add
    for balance in result:
        add_recipient = add(account=balance.account, found=balance.found, total_kopecks=balance.total).recipients.add
        for recipient, kopecks in balance.recipients:
            add_recipient(recipient_inn=recipient.inn, recipient_name=recipient.name, kopecks=kopecks)
    return response


def statement_query(request: accruals_pb2.GetStatementRequest) -> domain.StatementQuery:
    start = getattr(request, "from")  # a Python keyword
    first = domain.period_from(start.year, start.month, "from")
    last = domain.period_from(request.to.year, request.to.month, "to")
    return domain.statement_query(request.account, first, last)


def statement_response(result: ledger.Statement) -> accruals_pb2.GetStatementResponse:
    response = accruals_pb2.GetStatementResponse(account=result.account)
    for month in result.months:
        item = response.months.add(opening_kopecks=month.opening, closing_kopecks=month.closing)
        item.period.year, item.period.month = month.period.year, month.period.month
        for m in month.movements:
            e = m.entry
            item.movements.add(
                entry_id=e.id, date=e.entry_date.isoformat(), kind=e.kind, kopecks=e.amount,
                recipient_inn=e.recipient_inn, service_code=e.service_code or "", reason=e.reason,
                running_kopecks=m.running, reverses=e.reverses or 0,
            )
    return response


def account_number(request: accruals_pb2.GetAccountRequest) -> str:
    return domain.check_account(request.account)


def _account(a: account_domain.Account) -> accruals_pb2.Account:
    return accruals_pb2.Account(
        number=a.number, els=a.els, address=a.address, house_code=a.house_code, premise_number=a.premise_number,
        total_area=str(a.total_area), heated_area=str(a.heated_area),
        living_area="" if a.living_area is None else str(a.living_area), residents=a.residents,
        registered=a.registered, owner_name=a.owner_name, status=a.status, opened_on=a.opened_on.isoformat(),
        closed_on=a.closed_on.isoformat() if a.closed_on else "", services=list(a.services),
    )


def account_response(result: account_domain.Account) -> accruals_pb2.GetAccountResponse:
    return accruals_pb2.GetAccountResponse(account=_account(result))


def search_query(request: accruals_pb2.SearchAccountsRequest) -> domain.SearchQuery:
    return domain.search_query(request.query, request.page_size, request.page_token)


def search_response(result: domain.SearchResult) -> accruals_pb2.SearchAccountsResponse:
    return accruals_pb2.SearchAccountsResponse(
        accounts=[_account(a) for a in result.accounts], next_page_token=result.next_page_token,
    )

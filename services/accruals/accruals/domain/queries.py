"""Questions operators, residents and other services ask of the ledger and the accounts:
balances of many accounts, statements, search. Pure dataclasses and rules, no I/O."""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import re
import typing

from accruals.domain import ledger
from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period

MAX_BALANCE_ACCOUNTS = 1000
MAX_ACCOUNT_LENGTH = 64
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8


def check_account(number: str, field: str = "account") -> str:
    number = (number or "").strip()
    if not number:
        raise DomainError("account.required", "account is required", field)
    if len(number) > MAX_ACCOUNT_LENGTH:
        raise DomainError("account.invalid", f"an account number has at most {MAX_ACCOUNT_LENGTH} characters", field)
    return number


# -- balances -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class BalancesQuery:
    accounts: tuple[str, ...]          # in request order, duplicates kept
    as_of: dt.date                     # inclusive


def balances_query(accounts: list[str], as_of: str, today: dt.date) -> BalancesQuery:
    if not accounts:
        raise DomainError("accounts.required", "at least one account is required", "accounts")
    if len(accounts) > MAX_BALANCE_ACCOUNTS:
        raise DomainError("accounts.too_many", f"at most {MAX_BALANCE_ACCOUNTS} accounts per call", "accounts")
    numbers = tuple(check_account(a, f"accounts[{i}]") for i, a in enumerate(accounts))
    return BalancesQuery(numbers, ledger.parse_date((as_of or "").strip(), "as_of", default=today))


class RecipientBalance(typing.NamedTuple):
    recipient: ledger.Recipient
    kopecks: int                       # > 0 debt, < 0 advance


class AccountBalance(typing.NamedTuple):
    account: str
    found: bool
    recipients: tuple[RecipientBalance, ...] = ()
    total: int = 0                     # the sum over recipients


def account_balances(query: BalancesQuery, sums: dict[str, list[RecipientBalance]]) -> list[AccountBalance]:
    """One answer per requested account, in request order, recipients as given (by id); an
    account not in `sums` (it does not exist) answers found=False."""
    answers: dict[str, AccountBalance] = {}
    result = []
    for number in query.accounts:
        answer = answers.get(number)
        if answer is None:
            rows = sums.get(number)
            if rows is None:
                answer = AccountBalance(number, False)
            else:
                answer = AccountBalance(number, True, tuple(rows), sum(r.kopecks for r in rows))
            answers[number] = answer
        result.append(answer)
    return result


# -- statements -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StatementQuery:
    account: str
    first: Period
    last: Period


def period_from(year: int, month: int, field: str) -> Period:
    if not year and not month:
        raise DomainError("period.required", "a period (year and month) is required", field)
    try:
        return Period(year, month)
    except ValueError:
        raise DomainError("period.invalid", f"not a period: {year}-{month}", field) from None


def statement_query(account: str, first: Period, last: Period) -> StatementQuery:
    account = check_account(account)
    ledger.check_statement_range(first, last)
    return StatementQuery(account, first, last)


# -- search ---------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,;.]+")
_NUMBER_QUERY = re.compile(r"^[\d\s-]+$")
_LIKE_SPECIALS = re.compile(r"([\\%_])")


@dataclasses.dataclass(frozen=True)
class SearchQuery:
    text: str                          # as normalised (for the page token)
    number_prefix: str                 # set when the query is digits: an account number prefix
    words: tuple[str, ...]             # otherwise: words matched against address and owner
    page_size: int
    after: str                         # account number the page starts after ("" = first page)


def search_query(text: str, page_size: int, page_token: str) -> SearchQuery:
    """Digits (spaces and dashes allowed between them) search account numbers by prefix; any
    other text is split into words, each of which must match the owner's name or the address
    (a word of digits matches a house or flat number)."""
    text = " ".join((text or "").split())
    if not text:
        raise DomainError("search.query_required", "a search query is required", "query")
    if len(text) > MAX_QUERY_LENGTH:
        raise DomainError("search.query_too_long", f"at most {MAX_QUERY_LENGTH} characters", "query")
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise DomainError("search.bad_page_size", f"page_size is 1..{MAX_PAGE_SIZE} (0 = {DEFAULT_PAGE_SIZE})", "page_size")
    size = page_size or DEFAULT_PAGE_SIZE
    if _NUMBER_QUERY.match(text) and any(c.isdigit() for c in text):
        prefix, words = re.sub(r"[\s-]", "", text), ()
    else:
        prefix = ""
        words = tuple(dict.fromkeys(w.lower() for w in _SEPARATORS.split(text) if w))
        if not words:
            raise DomainError("search.query_required", "a search query is required", "query")
        if len(words) > MAX_WORDS:
            raise DomainError("search.too_many_words", f"at most {MAX_WORDS} words", "query")
    normalised = prefix or " ".join(words)
    after = decode_page_token(page_token, normalised) if page_token else ""
    return SearchQuery(normalised, prefix, words, size, after)


def like_pattern(word: str) -> str:
    """%word% for ILIKE, with LIKE's special characters taken literally."""
    return "%" + _LIKE_SPECIALS.sub(r"\\\1", word) + "%"


def _query_tag(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()[:12]


def page_token(query: SearchQuery, last_number: str) -> str:
    """Opaque cursor: where the next page starts, bound to the query it came from."""
    raw = json.dumps({"v": 1, "q": _query_tag(query.text), "a": last_number}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page_token(token: str, normalised: str) -> str:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if raw["v"] != 1 or not isinstance(raw["a"], str) or not raw["a"]:
            raise ValueError(token)
    except (ValueError, KeyError, TypeError):
        raise DomainError("search.bad_page_token", "the page token is not valid", "page_token") from None
    if raw["q"] != _query_tag(normalised):
        raise DomainError("search.bad_page_token", "the page token belongs to another query", "page_token")
    return raw["a"]


@dataclasses.dataclass(frozen=True)
class SearchResult:
    accounts: tuple  # tuple[accounts.Account, ...]
    next_page_token: str

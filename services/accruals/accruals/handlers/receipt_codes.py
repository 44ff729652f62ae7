"""Receipt codes: verify (residents), code of a period (receipts, operators), rotate (operators)."""
from __future__ import annotations

import datetime as dt
import logging

from accruals.domain import receipt_codes as domain
from accruals.settings import AccrualsSettings
from accruals.storage import receipt_codes as storage
from gorod_runtime.errors import DomainError, NotFound
from gorod_runtime.uow import UnitOfWork

log = logging.getLogger(__name__)

# No account number is longer; a longer one is answered like an unknown account without a query.
MAX_ACCOUNT_LENGTH = 64
MAX_OPERATOR_LENGTH = 200


def _current(options: AccrualsSettings, now: dt.datetime | None) -> domain.Period:
    return domain.Period.of(now or dt.datetime.now(dt.UTC), options.tz)


def verify(uow: UnitOfWork, options: AccrualsSettings, account: str, code: str, *, now: dt.datetime | None = None) -> bool:
    """Yes or no, and nothing else: an unknown account and a malformed code are a plain False,
    and take the same HMAC work as a known account (the domain's dummy path)."""
    generation = None
    if 0 < len(account) <= MAX_ACCOUNT_LENGTH:
        with uow:
            generation = storage.generation_of(uow.connection, account)
    periods = domain.window(_current(options, now), options.receipt_code_periods)
    return domain.verify(account, code, periods, generation, options.receipt_code_secrets,
                         options.receipt_code_dummy_generation)


def code_for(uow: UnitOfWork, options: AccrualsSettings, account: str, period: domain.Period | None,
             *, now: dt.datetime | None = None) -> str:
    """The code printed on `account`'s receipt for `period` (None: the current period).
    An operator's call: an unknown account is NotFound."""
    with uow:
        generation = storage.generation_of(uow.connection, account) if account else None
    if generation is None:
        raise NotFound("account.not_found", "no such account", "account")
    return domain.code(options.receipt_code_secrets[0], account, period or _current(options, now), generation)


def rotate(uow: UnitOfWork, account: str, operator: str, reason: str) -> int:
    """Give the account a new generation: every code it had stops verifying at once.
    Returns the new generation."""
    operator = (operator or "").strip()
    if not operator:
        raise DomainError("operator.required", "the operator who rotates the code is required", "operator")
    if len(operator) > MAX_OPERATOR_LENGTH:
        raise DomainError("operator.too_long", f"at most {MAX_OPERATOR_LENGTH} characters", "operator")
    with uow:
        generation = storage.rotate(uow.connection, account) if account else None
        if generation is None:
            raise NotFound("account.not_found", "no such account", "account")
        uow.commit()
    # The reason is free text and may name people: it stays out of the log (see docs/receipt-codes.md).
    log.info("receipt code rotated", extra={"account": account, "operator": operator, "generation": generation,
                                            "reason_given": bool((reason or "").strip())})
    return generation

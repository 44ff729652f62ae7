"""Ledger use cases: book posted payments, operators' corrections and reversals.

The ledger is insert-only. Every use case that writes takes the account's write lock first
(storage.accounts.lock), so a payment split reads debts that no concurrent writer changes and
nothing is ever lost between a read and a write.
"""
from __future__ import annotations

import datetime as dt
import logging

from accruals.domain import ledger as domain
from accruals.storage import accounts as account_storage
from accruals.storage import ledger as storage
from gorod_runtime.errors import Conflict, NotFound
from gorod_runtime.uow import UnitOfWork

log = logging.getLogger(__name__)

UNMATCHED_ACCOUNT = "account.not_found"
UNMATCHED_RECIPIENT = "recipient.not_found"
UNMATCHED_NO_RECIPIENTS = "account.no_recipients"


def post_payment(uow: UnitOfWork, event, tz: str) -> list[int]:
    """Book a `payments.payment-posted.v1` payment (gorod.events.v1.PaymentPosted) as payment
    entries with negative amounts, dated paid_at's date in `tz`; returns their ids ([] when
    nothing was booked).

    - The inbox makes an event count once; the unique (kind, reference) index with
      reference = payment_id makes a second booking of the same payment impossible anyway
      (a replay under another event id books nothing).
    - recipient_inn given: one entry for that recipient.
    - recipient_inn empty: split across the account's recipients by
      `domain.split_payment` (oldest debt first, see there and docs/ledger.md); part 1 has
      reference = payment_id, the others payment_id/2, payment_id/3, ...
    - Unknown account, unknown recipient INN, or an account without recipients: nothing is
      booked, the payment is kept in `unmatched_payments` with the reason.
    A payment that can never be booked (no payment_id, amount <= 0, no paid_at) raises
    DomainError: the consumer retries it and then puts it in the dead-letter topic.
    """
    payment = domain.payment(
        event.payment_id, event.account, event.amount_kopecks, event.recipient_inn.strip(), event.channel,
        event.paid_at.ToDatetime(tzinfo=dt.UTC) if event.HasField("paid_at") else None, event.external_id, tz,
    )
    with uow:
        conn = uow.connection
        booked = _book_payment(conn, payment)
        uow.commit()
    return booked


def _book_payment(conn, payment: domain.Payment) -> list[int]:
    if storage.payment_booked(conn, payment.payment_id):
        return []
    if not account_storage.lock(conn, payment.account):
        return _unmatched(conn, payment, UNMATCHED_ACCOUNT)
    if payment.recipient_inn:
        recipient = storage.recipient_by_inn(conn, payment.recipient_inn, payment.account)
        if recipient is None:
            return _unmatched(conn, payment, UNMATCHED_RECIPIENT)
        parts = [(recipient.id, payment.amount)]
    else:
        recipients = storage.recipients_of(conn, payment.account, payment.entry_date)
        if not recipients:
            return _unmatched(conn, payment, UNMATCHED_NO_RECIPIENTS)
        parts = domain.split_payment(payment.amount, storage.entries_of(conn, payment.account), recipients)
    ids = []
    for number, (recipient_id, kopecks) in enumerate(parts, start=1):
        entry_id = storage.insert_entry(conn, payment.entry(recipient_id, kopecks, number))
        if entry_id is None:
            if number == 1:  # booked meanwhile (under another account's lock): nothing more to do
                return []
            raise RuntimeError(f"payment {payment.payment_id}: part {number} booked without part 1")
        ids.append(entry_id)
    storage.resolve_unmatched(conn, payment.payment_id)
    return ids


def _unmatched(conn, payment: domain.Payment, reason: str) -> list[int]:
    storage.record_unmatched(conn, payment, reason)
    log.warning("payment %s not booked: %s", payment.payment_id, reason)
    return []


def post_correction(uow: UnitOfWork, command: domain.CorrectionCommand) -> domain.CorrectionResult:
    """Book an operator's correction. A retry with the same idempotency key answers the entry
    booked the first time (and refuses with `correction.key_reused` if it asks for something
    else)."""
    with uow:
        conn = uow.connection
        if not account_storage.lock(conn, command.account):
            raise NotFound("account.not_found", f"no account {command.account}", "account")
        booked = _booked_correction(conn, command)
        if booked is not None:
            return booked
        recipient = storage.recipient_by_inn(conn, command.recipient_inn, command.account)
        if recipient is None:
            raise NotFound("recipient.not_found", f"no recipient with INN {command.recipient_inn}", "recipient_inn")
        if command.service_code and not storage.service_exists(conn, command.service_code):
            raise NotFound("service.not_found", f"no service {command.service_code!r}", "service_code")
        if storage.period_closed(conn, domain.period_of(command.entry_date)):
            raise Conflict("correction.period_closed", f"the period of {command.entry_date} is closed", "date")
        entry_id = storage.insert_entry(conn, command.entry(recipient.id))
        if entry_id is None:  # the same key was used at the same moment for another account
            booked = _booked_correction(conn, command)
            if booked is None:
                raise Conflict("correction.key_reused", "this idempotency key is in use", "idempotency_key")
            return booked
        uow.commit()
    return domain.CorrectionResult(entry_id, created=True)


def _booked_correction(conn, command: domain.CorrectionCommand) -> domain.CorrectionResult | None:
    entry = storage.entry_by_reference(conn, domain.CORRECTION, command.reference)
    if entry is None:
        return None
    if not command.same_as(entry):
        raise Conflict("correction.key_reused",
                       "this idempotency key was used for another correction", "idempotency_key")
    return domain.CorrectionResult(entry.id, created=False)


def reverse_entry(uow: UnitOfWork, command: domain.ReversalCommand) -> domain.ReversalResult:
    """Reverse one entry with an entry of the opposite amount. An entry is reversed at most
    once (the unique `reverses` column) and a reversal is never reversed."""
    with uow:
        conn = uow.connection
        entry = storage.entry(conn, command.entry_id)
        if entry is None:
            raise NotFound("entry.not_found", f"no entry {command.entry_id}", "entry_id")
        account_storage.lock(conn, entry.account)
        domain.check_reversible(entry)
        existing = storage.reversal_of(conn, entry.id)
        reversal_id = None if existing else storage.insert_entry(conn, domain.reversal_entry(entry, command))
        if reversal_id is None:
            existing = existing or storage.reversal_of(conn, entry.id)
            raise Conflict("entry.already_reversed", f"entry {entry.id} is already reversed by entry {existing}",
                           "entry_id")
        uow.commit()
    return domain.ReversalResult(reversal_id, entry.id)

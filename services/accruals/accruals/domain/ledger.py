"""The account ledger: entry kinds, balance and statement arithmetic, the payment split rule,
corrections and reversals. Pure functions and dataclasses in integer kopecks, no I/O.

Sign convention: an amount is positive when it makes the resident owe more (opening debt,
charge, penalty, refund of an advance, a correction upwards) and negative when it makes them
owe less (payment, a correction downwards, an opening advance). A balance is the sum of
entries: positive = debt, negative = advance. See docs/ledger.md.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import typing
import zoneinfo
from collections.abc import Iterable, Sequence

from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period

OPENING_BALANCE = "opening_balance"
CHARGE = "charge"
PAYMENT = "payment"
PENALTY = "penalty"
CORRECTION = "correction"
REFUND = "refund"
REVERSAL = "reversal"
KINDS = (OPENING_BALANCE, CHARGE, PAYMENT, PENALTY, CORRECTION, REFUND, REVERSAL)

MAX_REASON = 500
MAX_KEY = 200
MAX_STATEMENT_MONTHS = 120
# A single entry never exceeds this (10^12 kopecks = 10 bn roubles): keeps sums far from int64.
MAX_AMOUNT = 10**12

CORRECTION_REFERENCE_PREFIX = "correction:"
REVERSAL_REFERENCE_PREFIX = "reversal:"
PAYMENTS_AUTHOR = "payments"


class Recipient(typing.NamedTuple):
    id: int
    inn: str
    name: str


@dataclasses.dataclass(frozen=True)
class LedgerEntry:
    id: int
    account: str
    recipient_id: int
    kind: str
    amount: int                     # kopecks, + owed more, − owed less
    entry_date: dt.date             # business date in the region's zone
    period: dt.date                 # first day of the settlement period it belongs to
    service_code: str | None = None
    reason: str = ""
    reference: str = ""
    reverses: int | None = None
    created_by: str = ""
    recipient_inn: str = ""         # filled in for display (statements)


@dataclasses.dataclass(frozen=True)
class NewEntry:
    """An entry to book (storage gives it an id)."""

    account: str
    recipient_id: int
    kind: str
    amount: int
    entry_date: dt.date
    period: dt.date
    service_code: str | None = None
    reason: str = ""
    reference: str = ""
    reverses: int | None = None
    created_by: str = ""


# -- dates ----------------------------------------------------------------------------------

def today(tz: str, now: dt.datetime | None = None) -> dt.date:
    """The business date now, in the region's zone."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(zoneinfo.ZoneInfo(tz)).date()


def parse_date(text: str, field: str, default: dt.date | None = None) -> dt.date:
    """"YYYY-MM-DD" (strict); "" gives `default` when there is one."""
    if not text and default is not None:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except (ValueError, TypeError):
        raise DomainError("date.invalid", f"not a date (YYYY-MM-DD): {text!r}", field) from None


def period_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def last_day(period: Period) -> dt.date:
    return period.next().first_day - dt.timedelta(days=1)


# -- balances -------------------------------------------------------------------------------

def balances(entries: Iterable[LedgerEntry], as_of: dt.date | None = None) -> dict[int, int]:
    """Balance per recipient id: the sum of entries dated on or before `as_of` (all if None).
    A recipient with entries appears even when its balance is 0."""
    result: dict[int, int] = {}
    for e in entries:
        if as_of is None or e.entry_date <= as_of:
            result[e.recipient_id] = result.get(e.recipient_id, 0) + e.amount
    return result


def total(entries: Iterable[LedgerEntry], as_of: dt.date | None = None) -> int:
    return sum(balances(entries, as_of).values())


# -- statements -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Movement:
    entry: LedgerEntry
    running: int                    # the account's balance after this movement


@dataclasses.dataclass(frozen=True)
class StatementMonth:
    period: Period
    opening: int
    movements: tuple[Movement, ...]
    closing: int


@dataclasses.dataclass(frozen=True)
class Statement:
    account: str
    months: tuple[StatementMonth, ...]


def months_between(first: Period, last: Period) -> list[Period]:
    result, period = [], first
    while period <= last:
        result.append(period)
        period = period.next()
    return result


def check_statement_range(first: Period, last: Period) -> None:
    if last < first:
        raise DomainError("statement.bad_range", f"'to' ({last}) is before 'from' ({first})", "to")
    if len(months_between(first, last)) > MAX_STATEMENT_MONTHS:
        raise DomainError("statement.range_too_long", f"at most {MAX_STATEMENT_MONTHS} months per statement", "to")


def statement(account: str, entries: Iterable[LedgerEntry], first: Period, last: Period) -> Statement:
    """The account's statement for the months first..last (inclusive), by entry date.

    Opening of the first month = the sum of entries dated before it; each month's opening is
    the previous month's closing; movements are in (date, id) order with the running balance
    after each; closing = opening + the month's movements. Reversed entries and their
    reversals are both shown (nothing is netted away); a reversal carries `reverses`.
    Entries after the last month are ignored."""
    check_statement_range(first, last)
    start, end = first.first_day, last_day(last)
    ordered = sorted(entries, key=lambda e: (e.entry_date, e.id))
    running = sum(e.amount for e in ordered if e.entry_date < start)
    by_month: dict[Period, list[LedgerEntry]] = {}
    for e in ordered:
        if start <= e.entry_date <= end:
            by_month.setdefault(Period.of_date(e.entry_date), []).append(e)
    months = []
    for period in months_between(first, last):
        opening = running
        moves = []
        for e in by_month.get(period, ()):
            running += e.amount
            moves.append(Movement(e, running))
        months.append(StatementMonth(period, opening, tuple(moves), running))
    return Statement(account, tuple(months))


# -- the payment split rule -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Debt:
    """Part of a recipient's balance still unpaid, with its age."""

    recipient_id: int
    period: dt.date
    entry_date: dt.date
    entry_id: int
    kopecks: int

    @property
    def age(self) -> tuple:
        return (self.period, self.entry_date, self.entry_id)


def _without_reversed(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """Leave out every reversed entry together with its reversal: the pair sums to zero."""
    entries = list(entries)
    reversed_ids = {e.reverses for e in entries if e.reverses is not None}
    return [e for e in entries if e.id not in reversed_ids and e.reverses is None]


def outstanding_debts(entries: Iterable[LedgerEntry]) -> list[Debt]:
    """The unpaid parts of each recipient's debt, oldest first (first in, first out).

    Per recipient, in date order: a positive entry adds a debt of its settlement period (less
    any advance carried), a negative entry pays the oldest debts first and what is left over
    becomes an advance carried to later positive entries. The debts left sum to
    max(0, balance) for every recipient."""
    by_recipient: dict[int, list[LedgerEntry]] = {}
    for e in _without_reversed(entries):
        by_recipient.setdefault(e.recipient_id, []).append(e)
    debts: list[Debt] = []
    for recipient_id, items in by_recipient.items():
        heap: list[tuple[tuple, int]] = []   # (age, kopecks)
        advance = 0
        for e in sorted(items, key=lambda e: (e.entry_date, e.id)):
            if e.amount > 0:
                covered = min(advance, e.amount)
                advance -= covered
                if e.amount > covered:
                    heapq.heappush(heap, ((e.period, e.entry_date, e.id), e.amount - covered))
            elif e.amount < 0:
                credit = -e.amount
                while credit and heap:
                    age, left = heapq.heappop(heap)
                    paid = min(credit, left)
                    credit -= paid
                    if left > paid:
                        heapq.heappush(heap, (age, left - paid))
                advance += credit
        for (period, entry_date, entry_id), left in heap:
            debts.append(Debt(recipient_id, period, entry_date, entry_id, left))
    debts.sort(key=lambda d: (d.age, d.recipient_id))
    return debts


def _proportional(amount: int, weights: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Split `amount` kopecks over (key, weight) by weight, largest remainder first (ties: the
    order given); every share is at most its weight when amount <= the sum of weights."""
    whole = sum(w for _, w in weights)
    shares = {k: amount * w // whole for k, w in weights}
    rest = amount - sum(shares.values())
    by_remainder = sorted(range(len(weights)), key=lambda i: -((amount * weights[i][1]) % whole))
    for i in by_remainder[:rest]:
        shares[weights[i][0]] += 1
    return shares


def advance_recipient(entries: Iterable[LedgerEntry], recipients: Sequence[int]) -> int:
    """Where an overpayment goes: the recipient with the largest charges in the latest period
    that has charges (ties: the first of `recipients`); with no charges, the first recipient."""
    charges: dict[dt.date, dict[int, int]] = {}
    for e in _without_reversed(entries):
        if e.kind == CHARGE:
            per = charges.setdefault(e.period, {})
            per[e.recipient_id] = per.get(e.recipient_id, 0) + e.amount
    if charges:
        latest = charges[max(charges)]
        order = list(recipients) + sorted(r for r in latest if r not in recipients)
        best = max(order, key=lambda r: (latest.get(r, 0), -order.index(r)))
        if latest.get(best, 0) > 0:
            return best
    if not recipients:
        raise ValueError("an account without recipients cannot take a payment")
    return recipients[0]


def split_payment(amount: int, entries: Sequence[LedgerEntry], recipients: Sequence[int]) -> list[tuple[int, int]]:
    """How a payment without a named recipient is shared: [(recipient_id, kopecks > 0)], by
    recipient id.

    1. The account's unpaid debts are aged first in, first out per recipient
       (`outstanding_debts`; an entry and its reversal are left out together).
    2. The payment pays them oldest settlement period first. When it cannot pay all the debts
       of one period, that period's debts share what is left in proportion to their size
       (largest remainder to the kopeck, ties to the lower recipient id).
    3. What remains after every debt is paid is an advance on the recipient with the largest
       charges in the latest charged period, or, with no charges at all, the first recipient
       (the lowest id among `recipients`, the account's recipients).
    Advances a recipient already holds are not moved to other recipients."""
    if amount <= 0:
        raise ValueError("a payment amount is positive")
    recipients = sorted(set(recipients))
    left = amount
    shares: dict[int, int] = {}
    debts = outstanding_debts(entries)
    i = 0
    while i < len(debts) and left:
        period = debts[i].period
        j = i
        while j < len(debts) and debts[j].period == period:
            j += 1
        group = debts[i:j]
        due = sum(d.kopecks for d in group)
        if left >= due:
            for d in group:
                shares[d.recipient_id] = shares.get(d.recipient_id, 0) + d.kopecks
            left -= due
        else:
            per_recipient: dict[int, int] = {}
            for d in group:
                per_recipient[d.recipient_id] = per_recipient.get(d.recipient_id, 0) + d.kopecks
            for r, share in _proportional(left, sorted(per_recipient.items())).items():
                shares[r] = shares.get(r, 0) + share
            left = 0
        i = j
    if left:
        r = advance_recipient(entries, recipients)
        shares[r] = shares.get(r, 0) + left
    return sorted((r, k) for r, k in shares.items() if k > 0)


# -- payments -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Payment:
    payment_id: str
    account: str
    amount: int                 # kopecks paid, > 0
    recipient_inn: str
    channel: str
    paid_at: dt.datetime
    external_id: str
    entry_date: dt.date         # paid_at's date in the region's zone

    def entry(self, recipient_id: int, kopecks: int, part: int) -> NewEntry:
        """The ledger entry of one part (1-based) of this payment: a negative amount; part 1
        has reference = payment_id, the others payment_id/2, payment_id/3, …"""
        return NewEntry(
            account=self.account, recipient_id=recipient_id, kind=PAYMENT, amount=-kopecks,
            entry_date=self.entry_date, period=period_of(self.entry_date), reason=self.channel,
            reference=payment_reference(self.payment_id, part), created_by=PAYMENTS_AUTHOR,
        )


def payment_reference(payment_id: str, part: int = 1) -> str:
    return payment_id if part == 1 else f"{payment_id}/{part}"


def payment(payment_id: str, account: str, amount: int, recipient_inn: str, channel: str,
            paid_at: dt.datetime | None, external_id: str, tz: str) -> Payment:
    """A posted payment as the ledger takes it; refuses one that can never be booked."""
    if not payment_id:
        raise DomainError("payment.id_required", "payment_id is required", "payment_id")
    if not account:
        raise DomainError("payment.account_required", "account is required", "account")
    if amount <= 0 or amount > MAX_AMOUNT:
        raise DomainError("payment.invalid_amount", f"a payment is a positive amount: {amount}", "amount_kopecks")
    if paid_at is None:
        raise DomainError("payment.paid_at_required", "paid_at is required", "paid_at")
    return Payment(payment_id, account, amount, recipient_inn, channel, paid_at, external_id, today(tz, paid_at))


# -- corrections and reversals --------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CorrectionCommand:
    account: str
    recipient_inn: str
    amount: int
    reason: str
    operator: str
    idempotency_key: str
    service_code: str
    entry_date: dt.date

    @property
    def reference(self) -> str:
        return CORRECTION_REFERENCE_PREFIX + self.idempotency_key

    def entry(self, recipient_id: int) -> NewEntry:
        return NewEntry(
            account=self.account, recipient_id=recipient_id, kind=CORRECTION, amount=self.amount,
            entry_date=self.entry_date, period=period_of(self.entry_date), service_code=self.service_code or None,
            reason=self.reason, reference=self.reference, created_by=self.operator,
        )

    def same_as(self, entry: LedgerEntry) -> bool:
        """Whether an entry booked under this command's key books what this command asks."""
        return (entry.account, entry.amount, entry.entry_date, entry.service_code or "", entry.reason) == (
            self.account, self.amount, self.entry_date, self.service_code, self.reason)


@dataclasses.dataclass(frozen=True)
class CorrectionResult:
    entry_id: int
    created: bool               # False: a retry answered with the entry booked before


@dataclasses.dataclass(frozen=True)
class ReversalCommand:
    entry_id: int
    reason: str
    operator: str
    today: dt.date


@dataclasses.dataclass(frozen=True)
class ReversalResult:
    entry_id: int               # the reversing entry
    reverses: int


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason.required", "a reason is required", "reason")
    if len(reason) > MAX_REASON:
        raise DomainError("reason.too_long", f"a reason has at most {MAX_REASON} characters", "reason")
    return reason


def _operator(operator: str) -> str:
    operator = (operator or "").strip()
    if not operator:
        raise DomainError("operator.required", "the operator is required", "operator")
    if len(operator) > MAX_KEY:
        raise DomainError("operator.too_long", f"an operator name has at most {MAX_KEY} characters", "operator")
    return operator


def check_inn(inn: str, field: str = "recipient_inn") -> str:
    inn = (inn or "").strip()
    if not inn:
        raise DomainError("recipient.inn_required", "the recipient's INN is required", field)
    if not (inn.isascii() and inn.isdigit() and len(inn) in (10, 12)):
        raise DomainError("recipient.invalid_inn", "an INN is 10 or 12 digits", field)
    return inn


def correction(account: str, recipient_inn: str, amount: int, reason: str, operator: str, idempotency_key: str,
               service_code: str, date: str, today: dt.date) -> CorrectionCommand:
    """An operator's correction, checked: reason required (≤ 500 characters), amount ≠ 0,
    an idempotency key, a date that is not in the future ("" = today)."""
    account = (account or "").strip()
    if not account:
        raise DomainError("account.required", "account is required", "account")
    inn = check_inn(recipient_inn)
    if amount == 0:
        raise DomainError("correction.zero_amount", "a correction amount is never 0", "kopecks")
    if abs(amount) > MAX_AMOUNT:
        raise DomainError("correction.amount_too_large", f"at most {MAX_AMOUNT} kopecks", "kopecks")
    key = (idempotency_key or "").strip()
    if not key:
        raise DomainError("correction.idempotency_key_required", "an idempotency key is required", "idempotency_key")
    if len(key) > MAX_KEY:
        raise DomainError("correction.idempotency_key_too_long", f"at most {MAX_KEY} characters", "idempotency_key")
    entry_date = parse_date((date or "").strip(), "date", default=today)
    if entry_date > today:
        raise DomainError("correction.future_date", "a correction cannot be dated in the future", "date")
    return CorrectionCommand(account, inn, amount, _reason(reason), _operator(operator), key,
                             (service_code or "").strip(), entry_date)


def reversal(entry_id: int, reason: str, operator: str, today: dt.date) -> ReversalCommand:
    if entry_id <= 0:
        raise DomainError("entry.id_required", "entry_id is required", "entry_id")
    return ReversalCommand(entry_id, _reason(reason), _operator(operator), today)


def check_reversible(entry: LedgerEntry) -> None:
    if entry.kind == REVERSAL or entry.reverses is not None:
        raise DomainError("entry.is_reversal", f"entry {entry.id} is a reversal; a reversal is never reversed", "entry_id")


def reversal_entry(entry: LedgerEntry, command: ReversalCommand) -> NewEntry:
    """The entry that undoes `entry`: the opposite amount, same recipient and service, dated
    today (or the entry's own date if that is later, so no balance dips before the entry)."""
    check_reversible(entry)
    day = max(command.today, entry.entry_date)
    return NewEntry(
        account=entry.account, recipient_id=entry.recipient_id, kind=REVERSAL, amount=-entry.amount,
        entry_date=day, period=period_of(day), service_code=entry.service_code, reason=command.reason,
        reference=f"{REVERSAL_REFERENCE_PREFIX}{entry.id}", reverses=entry.id, created_by=command.operator,
    )

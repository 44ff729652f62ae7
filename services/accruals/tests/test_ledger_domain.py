"""Ledger rules without I/O: balances, statements, the payment split, corrections, reversals."""
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accruals.domain import ledger, queries
from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period

D = dt.date
ACCOUNT = "100000001"


def entry(id, recipient, amount, day, kind=None, period=None, reverses=None):
    kind = kind or (ledger.CHARGE if amount > 0 else ledger.PAYMENT)
    return ledger.LedgerEntry(id=id, account=ACCOUNT, recipient_id=recipient, kind=kind, amount=amount,
                              entry_date=day, period=period or day.replace(day=1), reverses=reverses)


# -- strategies ---------------------------------------------------------------------------

KINDS = [ledger.OPENING_BALANCE, ledger.CHARGE, ledger.PAYMENT, ledger.PENALTY, ledger.CORRECTION, ledger.REFUND]
days = st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 12, 31))
raw_entries = st.lists(
    st.tuples(st.integers(1, 3), st.integers(-500_000, 500_000).filter(bool), days, st.sampled_from(KINDS)),
    max_size=40,
)


def build(raw, reversals=()):
    entries = [entry(i, r, a, d, kind=k) for i, (r, a, d, k) in enumerate(raw, start=1)]
    next_id = len(entries) + 1
    for index in sorted(set(reversals)):
        if index < len(raw):  # never a reversal of a reversal
            original = entries[index]
            entries.append(entry(next_id, original.recipient_id, -original.amount, max(original.entry_date, D(2026, 6, 1)),
                                 kind=ledger.REVERSAL, reverses=original.id))
            next_id += 1
    return entries


entries_with_reversals = st.builds(build, raw_entries, st.lists(st.integers(0, 39), max_size=5))
periods = st.builds(Period, st.integers(2024, 2027), st.integers(1, 12))


# -- balances and statements --------------------------------------------------------------

@given(entries_with_reversals, days)
def test_balances_are_the_sums_of_entries_up_to_the_date(entries, as_of):
    per_recipient = ledger.balances(entries, as_of)
    for recipient in {e.recipient_id for e in entries}:
        expected = sum(e.amount for e in entries if e.recipient_id == recipient and e.entry_date <= as_of)
        assert per_recipient.get(recipient, 0) == expected
    assert ledger.total(entries, as_of) == sum(e.amount for e in entries if e.entry_date <= as_of)
    assert ledger.total(entries) == sum(e.amount for e in entries)


@given(entries_with_reversals, periods, st.integers(0, 30))
def test_statement_months_chain_and_close_on_the_sum_of_entries(entries, first, length):
    last = first
    for _ in range(length):
        last = last.next()
    result = ledger.statement(ACCOUNT, entries, first, last)
    assert [m.period for m in result.months] == ledger.months_between(first, last)
    assert result.months[0].opening == sum(e.amount for e in entries if e.entry_date < first.first_day)
    previous = None
    for month in result.months:
        if previous is not None:
            assert month.opening == previous.closing
        assert month.closing == ledger.total(entries, ledger.last_day(month.period))
        assert month.closing == month.opening + sum(m.entry.amount for m in month.movements)
        running = month.opening
        for m in month.movements:
            running += m.entry.amount
            assert m.running == running
            assert Period.of_date(m.entry.entry_date) == month.period
        previous = month
    shown = sum(len(m.movements) for m in result.months)
    assert shown == sum(1 for e in entries if first.first_day <= e.entry_date <= ledger.last_day(last))


def test_a_statement_shows_a_reversed_entry_and_its_reversal():
    entries = [entry(1, 1, 10_000, D(2026, 1, 31)), entry(2, 1, -10_000, D(2026, 2, 3), kind=ledger.REVERSAL, reverses=1),
               entry(3, 1, 12_000, D(2026, 2, 28))]
    s = ledger.statement(ACCOUNT, entries, Period(2026, 1), Period(2026, 3))
    jan, feb, mar = s.months
    assert (jan.opening, [m.running for m in jan.movements], jan.closing) == (0, [10_000], 10_000)
    assert [(m.entry.id, m.entry.reverses, m.running) for m in feb.movements] == [(2, 1, 0), (3, None, 12_000)]
    assert (mar.opening, mar.movements, mar.closing) == (12_000, (), 12_000)


def test_a_statement_range_is_checked():
    with pytest.raises(DomainError) as caught:
        ledger.statement(ACCOUNT, [], Period(2026, 3), Period(2026, 2))
    assert caught.value.code == "statement.bad_range"
    with pytest.raises(DomainError) as caught:
        ledger.statement(ACCOUNT, [], Period(2016, 1), Period(2026, 2))
    assert caught.value.code == "statement.range_too_long"


# -- the payment split --------------------------------------------------------------------

def test_oldest_period_first_then_in_proportion_within_a_period():
    entries = [
        entry(1, 1, 10_000, D(2026, 1, 31)), entry(2, 2, 5_000, D(2026, 1, 31)),
        entry(3, 1, 10_000, D(2026, 2, 28)), entry(4, 2, 10_000, D(2026, 2, 28)),
    ]
    # January (15 000) in full, then 5 000 of February's 20 000 shared 1:1.
    assert ledger.split_payment(20_000, entries, [1, 2]) == [(1, 12_500), (2, 7_500)]


def test_an_earlier_payment_has_paid_the_oldest_debt_already():
    entries = [
        entry(1, 1, 10_000, D(2026, 1, 31)), entry(2, 2, 10_000, D(2026, 1, 31)),
        entry(3, 1, -10_000, D(2026, 2, 10)),                        # recipient 1's January is paid
        entry(4, 1, 10_000, D(2026, 2, 28)), entry(5, 2, 10_000, D(2026, 2, 28)),
    ]
    assert ledger.split_payment(10_000, entries, [1, 2]) == [(2, 10_000)]
    assert ledger.split_payment(20_000, entries, [1, 2]) == [(1, 5_000), (2, 15_000)]


def test_an_overpayment_is_an_advance_on_the_largest_charge():
    entries = [entry(1, 1, 3_000, D(2026, 1, 31)), entry(2, 2, 7_000, D(2026, 1, 31)),
               entry(3, 1, 9_000, D(2026, 2, 28)), entry(4, 2, 8_000, D(2026, 2, 28))]
    assert ledger.split_payment(30_000, entries, [1, 2]) == [(1, 12_000 + 3_000), (2, 15_000)]


def test_without_charges_the_first_recipient_takes_the_payment():
    assert ledger.split_payment(5_000, [], [7, 3]) == [(3, 5_000)]
    advance = [entry(1, 7, -1_000, D(2026, 1, 5), kind=ledger.OPENING_BALANCE)]
    assert ledger.split_payment(5_000, advance, [3, 7]) == [(3, 5_000)]


def test_a_reversed_charge_is_no_debt():
    entries = [entry(1, 1, 10_000, D(2026, 1, 31)), entry(2, 2, 10_000, D(2026, 1, 31)),
               entry(3, 1, -10_000, D(2026, 2, 2), kind=ledger.REVERSAL, reverses=1)]
    assert ledger.split_payment(10_000, entries, [1, 2]) == [(2, 10_000)]


def test_an_advance_carries_to_later_charges():
    entries = [entry(1, 1, -4_000, D(2026, 1, 1), kind=ledger.OPENING_BALANCE), entry(2, 1, 10_000, D(2026, 1, 31))]
    assert [(d.recipient_id, d.kopecks) for d in ledger.outstanding_debts(entries)] == [(1, 6_000)]


@settings(max_examples=300)
@given(raw_entries, st.lists(st.integers(0, 39), max_size=5), st.integers(1, 3_000_000))
def test_a_split_pays_exactly_the_amount_oldest_debt_first(raw, reversals, amount):
    entries = build(raw, reversals)
    recipients = sorted({e.recipient_id for e in entries}) or [1]
    debts_before = ledger.outstanding_debts(entries)
    for r in recipients:  # the unpaid parts of each recipient's debt sum to its debt
        assert sum(d.kopecks for d in debts_before if d.recipient_id == r) == max(0, ledger.balances(entries).get(r, 0))

    parts = ledger.split_payment(amount, entries, recipients)
    assert sum(k for _, k in parts) == amount
    assert all(k > 0 for _, k in parts)
    assert [r for r, _ in parts] == sorted({r for r, _ in parts})
    total_debt = sum(d.kopecks for d in debts_before)
    debt_of = {r: sum(d.kopecks for d in debts_before if d.recipient_id == r) for r in recipients}
    if amount <= total_debt:
        assert all(k <= debt_of[r] for r, k in parts)  # nobody gets an advance while debts remain

    # Book the parts and age again: older periods are cleared before newer ones get money.
    paid_on = D(2027, 1, 15)
    booked = entries + [entry(1000 + i, r, -k, paid_on) for i, (r, k) in enumerate(parts)]
    debts_after = ledger.outstanding_debts(booked)
    assert sum(d.kopecks for d in debts_after) == max(0, total_debt - amount)

    def by_period(debts):
        result = {}
        for d in debts:
            result[d.period] = result.get(d.period, 0) + d.kopecks
        return result

    before, after = by_period(debts_before), by_period(debts_after)
    paid_periods = [p for p in before if after.get(p, 0) < before[p]]
    if paid_periods:
        newest_paid = max(paid_periods)
        assert all(after.get(p, 0) == 0 for p in before if p < newest_paid)


# -- payments, corrections, reversals -----------------------------------------------------

def test_a_payment_is_dated_in_the_regions_zone():
    paid_at = dt.datetime(2026, 10, 31, 20, 0, tzinfo=dt.UTC)   # 1 November, 03:00 in Barnaul
    p = ledger.payment("p-1", ACCOUNT, 1500, "", "card", paid_at, "ext", "Asia/Barnaul")
    assert p.entry_date == D(2026, 11, 1)
    first, second = p.entry(5, 1000, 1), p.entry(6, 500, 2)
    assert (first.amount, first.reference, first.period) == (-1000, "p-1", D(2026, 11, 1))
    assert (second.amount, second.reference, second.kind) == (-500, "p-1/2", ledger.PAYMENT)


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"payment_id": ""}, "payment.id_required"),
    ({"amount": 0}, "payment.invalid_amount"),
    ({"amount": -5}, "payment.invalid_amount"),
    ({"paid_at": None}, "payment.paid_at_required"),
])
def test_a_payment_that_can_never_be_booked_is_refused(kwargs, code):
    args = {"payment_id": "p", "account": ACCOUNT, "amount": 100, "recipient_inn": "", "channel": "card",
            "paid_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "external_id": "", "tz": "Asia/Barnaul"} | kwargs
    with pytest.raises(DomainError) as caught:
        ledger.payment(**args)
    assert caught.value.code == code


TODAY = D(2026, 11, 24)
GOOD = {"account": ACCOUNT, "recipient_inn": "2221000001", "amount": -1500, "reason": "recalculation",
        "operator": "op-1", "idempotency_key": "k-1", "service_code": "", "date": "", "today": TODAY}


def test_a_correction_defaults_to_today_and_keys_its_reference():
    c = ledger.correction(**GOOD)
    assert (c.entry_date, c.reference, c.amount) == (TODAY, "correction:k-1", -1500)
    e = c.entry(9)
    assert (e.kind, e.recipient_id, e.created_by, e.period) == (ledger.CORRECTION, 9, "op-1", D(2026, 11, 1))


@pytest.mark.parametrize(("change", "code"), [
    ({"amount": 0}, "correction.zero_amount"),
    ({"reason": ""}, "reason.required"),
    ({"reason": "   "}, "reason.required"),
    ({"reason": "x" * 501}, "reason.too_long"),
    ({"idempotency_key": ""}, "correction.idempotency_key_required"),
    ({"recipient_inn": ""}, "recipient.inn_required"),
    ({"recipient_inn": "12345"}, "recipient.invalid_inn"),
    ({"account": ""}, "account.required"),
    ({"operator": ""}, "operator.required"),
    ({"date": "2026-13-01"}, "date.invalid"),
    ({"date": "24.11.2026"}, "date.invalid"),
    ({"date": "2026-11-25"}, "correction.future_date"),
])
def test_bad_corrections_are_refused_with_a_stable_code(change, code):
    with pytest.raises(DomainError) as caught:
        ledger.correction(**(GOOD | change))
    assert caught.value.code == code


def test_a_reason_of_500_characters_is_fine():
    assert len(ledger.correction(**(GOOD | {"reason": "я" * 500})).reason) == 500


def test_a_reversal_undoes_the_amount_and_is_never_reversed_itself():
    command = ledger.reversal(1, "wrong account", "op-1", TODAY)
    original = entry(1, 4, 12_345, D(2026, 10, 31))
    r = ledger.reversal_entry(original, command)
    assert (r.kind, r.amount, r.reverses, r.recipient_id, r.entry_date) == (ledger.REVERSAL, -12_345, 1, 4, TODAY)
    future = entry(2, 4, 100, D(2026, 11, 30))
    assert ledger.reversal_entry(future, command).entry_date == D(2026, 11, 30)
    with pytest.raises(DomainError) as caught:
        ledger.reversal_entry(entry(3, 4, -12_345, TODAY, kind=ledger.REVERSAL, reverses=1), command)
    assert caught.value.code == "entry.is_reversal"


# -- queries ------------------------------------------------------------------------------

def test_balance_queries_are_checked():
    q = queries.balances_query(["1", "2", "1"], "", TODAY)
    assert (q.accounts, q.as_of) == (("1", "2", "1"), TODAY)
    for accounts, as_of, code in [([], "", "accounts.required"), (["1"] * 1001, "", "accounts.too_many"),
                                  ([""], "", "account.required"), (["1"], "2026-02-30", "date.invalid")]:
        with pytest.raises(DomainError) as caught:
            queries.balances_query(accounts, as_of, TODAY)
        assert caught.value.code == code


def test_search_queries_tell_numbers_from_words_and_tokens_bind_to_their_query():
    assert queries.search_query(" 1002-34 ", 0, "").number_prefix == "100234"
    q = queries.search_query("Ленина,  Иванов", 5, "")
    assert (q.words, q.page_size, q.number_prefix) == (("ленина", "иванов"), 5, "")
    token = queries.page_token(q, "100000050")
    assert queries.search_query("ленина иванов", 5, token).after == "100000050"
    for text, size, tok, code in [("", 0, "", "search.query_required"), ("x", 101, "", "search.bad_page_size"),
                                  ("петров", 0, token, "search.bad_page_token"), ("x", 0, "garbage", "search.bad_page_token")]:
        with pytest.raises(DomainError) as caught:
            queries.search_query(text, size, tok)
        assert caught.value.code == code
    assert queries.like_pattern("50%_") == "%50\\%\\_%"

"""The run's penalty lines: the fast path (debts without payments) equals the domain's rules."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from accruals.domain import penalties as rules
from accruals.run.penalties import PenaltyLines
from gorod_runtime.period import Period

periods = st.sampled_from([Period(2025, m) for m in range(1, 13)] + [Period(2026, m) for m in range(1, 4)])


def entries_of(debts: dict[Period, int], payments: list[tuple[dt.date, int]] = ()) -> list[tuple]:
    items = [(i, "charge", k, p.first_day, p.first_day, None) for i, (p, k) in enumerate(debts.items(), start=1)]
    items += [(100 + i, "payment", -k, d, d.replace(day=1), None) for i, (d, k) in enumerate(payments)]
    return sorted(items, key=lambda e: (e[3], e[0]))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(periods, st.integers(min_value=1, max_value=10**8), min_size=1, max_size=5),
       st.sampled_from([Period(2026, 3), Period(2026, 4), Period(2025, 11)]))
def test_the_fast_path_equals_the_domain(debts, period):
    lines = PenaltyLines(period)
    found = lines.amount(entries_of(debts))
    last = period.next().first_day - dt.timedelta(days=1)
    expected = rules.penalty({p: Decimal(k) / 100 for p, k in debts.items()}, [], calc_date=last, since=period.first_day)
    if expected.total <= 0:
        assert found is None
    else:
        amount, (formula, inputs, steps, notes, method) = found
        assert amount == expected.total
        assert [s[1].rsplit("→ ", 1)[1] for s in steps[:-1]] == [f"{s.amount:.2f}" for s in expected.segments]
        assert notes == expected.notes and method == rules.METHOD


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(periods, st.integers(min_value=1, max_value=10**7), min_size=1, max_size=4),
       st.lists(st.tuples(st.dates(dt.date(2025, 1, 1), dt.date(2026, 3, 31)), st.integers(1, 10**7)), min_size=1, max_size=4))
def test_with_payments_it_is_the_domain(debts, payments):
    period = Period(2026, 3)
    found = PenaltyLines(period).amount(entries_of(debts, payments))
    expected = rules.penalty({p: Decimal(k) / 100 for p, k in debts.items()},
                             [rules.Payment(d, Decimal(k) / 100) for d, k in payments],
                             calc_date=dt.date(2026, 3, 31), since=period.first_day)
    assert (found[0] if found else Decimal(0)) == max(expected.total, Decimal(0))


def test_penalties_reversed_and_penalty_entries_are_left_out():
    period = Period(2026, 3)
    base = [(1, "opening_balance", 500_000, dt.date(2026, 1, 1), dt.date(2026, 1, 1), None)]
    plain = PenaltyLines(period).amount(base)
    assert plain is not None
    noise = base + [(2, "penalty", 10_000, dt.date(2025, 12, 31), dt.date(2025, 12, 1), None),
                    (3, "charge", 70_000, dt.date(2025, 11, 30), dt.date(2025, 11, 1), None),
                    (4, "reversal", -70_000, dt.date(2026, 3, 5), dt.date(2026, 3, 1), 3)]
    assert PenaltyLines(period).amount(noise)[0] == plain[0]

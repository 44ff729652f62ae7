"""Penalty lines of a run: the пени accrued during the period's days on late debts (pure).

Per account and recipient, from the ledger entries up to the period's last day:
- debts: the positive entries (charges, opening balances, positive corrections, refunds) by
  settlement period; penalty entries are left out (no penalty on penalties), and so is any
  entry reversed together with its reversal;
- payments: the negative entries (payments, negative corrections and charges) on their dates.
`accruals.domain.penalties.penalty(debts, payments, calc_date=last day, since=first day)`
gives the amount accrued in the period; a positive amount is one line (method `penalty`),
owed to that recipient. Its explanation lists the debts and every segment.

Fast path. Without payments each period's debt is one unpaid tranche whose segments (days,
fraction, rate) do not depend on its amount: they are taken once per debt period from the
domain function (for a debt of 1.00) and each segment is priced as the domain prices it,
round(base × days × rate / 100 / denominator). tests/test_run_penalties.py checks that this
equals `penalty()` for any amounts.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from accruals.domain import penalties as rules
from accruals.domain.explanation import CONTEXT, fmt, fmt_date, round_money
from gorod_runtime.period import Period

FORMULA = "пени = Σ округл(база × дни × ставка / 100 / 300 или 130) по сегментам, по каждому периоду долга"
METHOD = "penalty"
_HUNDRED = Decimal(100)
_ONE = Decimal("1.00")
_ZERO = Decimal("0.00")
_CENT = Decimal("0.01")


def _money(amount: Decimal) -> str:
    """An amount in roubles with 2 decimals (as `fmt(amount, 2)`)."""
    return f"{amount.quantize(_CENT, rounding=ROUND_HALF_UP, context=CONTEXT):f}"


class PenaltyLines:
    def __init__(self, period: Period, settings: rules.PenaltySettings | None = None):
        self.settings = settings or rules.DEFAULT_SETTINGS
        self.first = period.first_day
        self.last = period.next().first_day - dt.timedelta(days=1)
        self.inputs_head = {"дата расчёта": fmt_date(self.last), "начисляются с": fmt_date(self.first)}
        self.notes: tuple[str, ...] | None = None
        self.periods: dict[dt.date, Period] = {}
        self.shapes: dict[Period, tuple] = {}     # debt period -> its segments' (start, end, days, den, rate, delay)
        self.heads: dict[tuple, str] = {}

    def amount(self, entries: list[tuple]) -> tuple[Decimal, tuple] | None:
        """(amount, explanation (formula, inputs, steps, notes, method)) for one account and
        recipient, from its entries (id, kind, kopecks, entry_date, period, reverses); None if 0."""
        reversed_ids = {e[5] for e in entries if e[5] is not None}
        debts: dict[Period, int] = {}
        payments = []
        for entry_id, kind, kopecks, entry_date, period, reverses in entries:
            if reverses is not None or entry_id in reversed_ids or kind == "penalty" or not kopecks:
                continue
            if kopecks > 0:
                p = self.periods.get(period)
                if p is None:
                    p = self.periods[period] = Period(period.year, period.month)
                debts[p] = debts.get(p, 0) + kopecks
            else:
                payments.append(rules.Payment(entry_date, Decimal(-kopecks) / _HUNDRED))
        if not debts:
            return None
        amounts = {p: Decimal(k) / _HUNDRED for p, k in sorted(debts.items())}
        if payments:
            result = rules.penalty(amounts, payments, calc_date=self.last, settings=self.settings, since=self.first)
            total = result.total
            segments = [(s.period, s.start, s.end, s.delay_from, s.delay_to, s.denominator, s.rate_pct, s.base, s.days,
                         s.raw, s.amount) for s in result.segments]
            notes = result.notes
        else:
            total, segments = self._unpaid(amounts)
            notes = self._notes()
        if total <= 0:
            return None
        inputs = dict(self.inputs_head)
        inputs["долг по периодам"] = "; ".join(f"{p}: {_money(a)}" for p, a in amounts.items())
        if payments:
            inputs["оплаты"] = "; ".join(f"{fmt_date(p.date)}: {_money(p.amount)}" for p in payments)
        steps = tuple(("сегмент", f"{self._segment_head(period, start, end, d_from, d_to, den, rate)}{_money(base)} × {days} = "
                                  f"{fmt(raw, 6)} → {_money(amount)}")
                      for period, start, end, d_from, d_to, den, rate, base, days, raw, amount in segments)
        return total, (FORMULA, inputs, steps + (("итого", _money(total)),), notes, rules.METHOD)

    def _segment_head(self, period, start, end, d_from, d_to, den, rate) -> str:
        key = (period, start, end, d_from, d_to, den, rate)
        text = self.heads.get(key)
        if text is None:
            text = self.heads[key] = (f"{period}: {fmt_date(start)}–{fmt_date(end)} (дни просрочки {d_from}–{d_to}) 1/{den} × "
                                      f"{fmt(rate)} %: ")
        return text

    def _notes(self) -> tuple[str, ...]:
        if self.notes is None:
            self.notes = rules.penalty({}, [], calc_date=self.last, settings=self.settings).notes
        return self.notes

    def _unpaid(self, amounts: dict[Period, Decimal]) -> tuple[Decimal, list]:
        total = _ZERO
        segments = []
        for period, base in amounts.items():
            shape = self.shapes.get(period)
            if shape is None:
                unit = rules.penalty({period: _ONE}, [], calc_date=self.last, settings=self.settings, since=self.first)
                shape = self.shapes[period] = tuple((s.start, s.end, s.days, s.denominator, s.rate_pct, s.delay_from,
                                                     s.delay_to) for s in unit.segments)
            for start, end, days, den, rate, d_from, d_to in shape:
                raw = CONTEXT.divide(CONTEXT.multiply(CONTEXT.multiply(base, Decimal(days)), rate), _HUNDRED * den)
                amount = round_money(raw)
                total += amount
                segments.append((period, start, end, d_from, d_to, den, rate, base, days, raw, amount))
        return total, segments

"""Penalties (пени) for late payment of housing and utility charges (rules.md §0, §2, §8).

ЖК РФ ст.155 ч.14: from the 31st day after the due date to the 90th, 1/300 of the rate per day of
the unpaid amount; from the 91st day, 1/130; the payment day included. The rate is the key rate
of the Bank of Russia on the day of payment (for a debt still unpaid: on the calculation date);
for the days 28.02.2022–31.12.2026 it is min(9.5 %, that key rate) (ПП РФ № 474 with its
extensions, last ПП № 329 of 18.03.2025). No penalty accrues on moratorium days.

How it is computed (docs/penalties-subsidies-benefits.md has the details and every setting):

* each settlement period's debt has its own due date (`due_date`) and its own day counter;
* payments are applied to the periods (oldest first unless the payer named a period) and split
  each period's debt into tranches: a tranche paid on day P accrues through P and is priced at
  the rate on P; the unpaid rest accrues through the calculation date at the rate on that date;
* the days are cut where anything changes (band 1/300 → 1/130, a payment, a moratorium, the cap
  window); a segment is a run of days with one base, one fraction and one rate; each segment is
  rounded to the kopeck (ROUND_HALF_UP) and the total is the sum of the rounded segments.

Pure Python: Decimal inside, no I/O apart from reading the shipped key-rate table once.
"""
from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import itertools
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from accruals.domain.calendar import WorkingCalendar, default_calendar
from accruals.domain.explanation import CONTEXT, Explanation, fmt, fmt_date, money, round_money, to_decimal
from gorod_runtime.period import Period

__all__ = [
    "CAP_BY_ACCRUAL_DAY", "CAP_BY_RATE_DATE", "DEFAULT_MORATORIA", "NEWEST_FIRST", "OLDEST_FIRST",
    "RATE_ON_CALCULATION_DATE", "RATE_ON_PAYMENT_DATE", "Allocation", "Debt", "KeyRate", "KeyRateTable",
    "Moratorium", "Payment", "PenaltyResult", "PenaltySegment", "PenaltySettings", "PeriodPenalty",
    "default_key_rates", "due_date", "nominal_due_date", "penalty",
]

KEY_RATES_FILE = Path(__file__).resolve().parent / "data" / "key_rates.json"

OLDEST_FIRST = "oldest_first"
NEWEST_FIRST = "newest_first"
RATE_ON_PAYMENT_DATE = "payment_date"
RATE_ON_CALCULATION_DATE = "calculation_date"
CAP_BY_ACCRUAL_DAY = "accrual_day"
CAP_BY_RATE_DATE = "rate_date"

_ONE = dt.timedelta(days=1)
_HUNDRED = Decimal(100)
METHOD = "ЖК РФ ст.155 ч.14: пени с 31-го дня просрочки 1/300 ставки, с 91-го дня 1/130, по день оплаты включительно"
CAP_METHOD = "ПП РФ 26.03.2022 № 474 (ред. ПП 18.03.2025 № 329): ставка = min(9,5 %; ключевая на день оплаты)"


# -- inputs -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class Moratorium:
    """Days (both ends included) on which no penalty accrues."""

    start: dt.date
    end: dt.date
    act: str = ""

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"moratorium ends ({self.end}) before it starts ({self.start})")


DEFAULT_MORATORIA: tuple[Moratorium, ...] = (
    Moratorium(dt.date(2020, 4, 6), dt.date(2021, 1, 1), "ПП РФ 02.04.2020 № 424 [CITED]"),
    Moratorium(dt.date(2022, 4, 1), dt.date(2022, 10, 1), "ПП РФ 28.03.2022 № 497, мораторий на банкротство [RECALLED]"),
)


@dataclasses.dataclass(frozen=True, slots=True)
class KeyRate:
    since: dt.date
    pct: Decimal


class KeyRateTable:
    """The key rate by date: each value holds from its date until the next one."""

    __slots__ = ("_days", "_pcts")

    def __init__(self, rates: Iterable[KeyRate | tuple]):
        pairs = []
        for item in rates:
            since, pct = (item.since, item.pct) if isinstance(item, KeyRate) else item
            if isinstance(since, str):
                since = dt.date.fromisoformat(since)
            pct = to_decimal(pct, "key rate")
            if pct < 0:
                raise ValueError(f"key rate from {since} is negative: {pct}")
            pairs.append((since, pct))
        pairs.sort(key=lambda pair: pair[0])
        if not pairs:
            raise ValueError("no key rates given")
        for (a, _), (b, _) in itertools.pairwise(pairs):
            if a == b:
                raise ValueError(f"two key rates from {a}")
        self._days = [day for day, _ in pairs]
        self._pcts = [pct for _, pct in pairs]

    def on(self, day: dt.date) -> Decimal:
        index = bisect.bisect_right(self._days, day) - 1
        if index < 0:
            raise ValueError(f"no key rate for {day}: the table starts on {self._days[0]}")
        return self._pcts[index]

    def __iter__(self):
        return (KeyRate(day, pct) for day, pct in zip(self._days, self._pcts, strict=True))


@functools.cache
def default_key_rates() -> KeyRateTable:
    """The shipped reference table (data/key_rates.json); see its notes before relying on it."""
    with open(KEY_RATES_FILE, encoding="utf-8") as handle:
        return KeyRateTable(tuple(pair) for pair in json.load(handle)["rates"])


@dataclasses.dataclass(frozen=True, slots=True)
class Debt:
    """The amount charged for a settlement period (penalties never accrue on penalties)."""

    period: Period
    amount: Decimal
    due: dt.date | None = None                    # overrides due_date(period) when given


@dataclasses.dataclass(frozen=True, slots=True)
class Payment:
    date: dt.date
    amount: Decimal
    period: Period | None = None                  # the period the payer named, if any


@dataclasses.dataclass(frozen=True, slots=True)
class PenaltySettings:
    # Due date (rules.md §0.1): the 10th of the next month up to the period before
    # `switch_period`, the 15th from it; then moved to the next working day (ГК РФ ст.193).
    due_day: int = 10
    due_day_from_switch: int = 15
    switch_period: Period = Period(2026, 2)       # Минстрой letter 20.02.2026 № 9202-ДН/04
    move_to_working_day: bool = True
    # Day bands (ЖК ст.155 ч.14).
    grace_days: int = 30
    first_denominator: int = 300
    second_band_from_day: int = 91
    second_denominator: int = 130
    # [ASSUMED] the payment day accrues; the base is smaller from the next day.
    payment_reduces_base_next_day: bool = True
    # [ASSUMED] payments without a named period go to the oldest period first.
    payment_order: str = OLDEST_FIRST
    # Optional (Пленум ВС № 22 п.32 [RECALLED]): periods whose due date is more than this many
    # years before the payment take payments only after the others. None = off.
    time_barred_years: int | None = None
    # The cap (ПП 474 … ПП 329): min(cap_pct, key rate) for the window, both ends included.
    cap_pct: Decimal = Decimal("9.5")
    cap_from: dt.date = dt.date(2022, 2, 28)
    cap_until: dt.date = dt.date(2026, 12, 31)
    # [ASSUMED] the window is tested on each accrual day (not on the payment date).
    cap_window_by: str = CAP_BY_ACCRUAL_DAY
    # The key rate is taken on the payment date (unpaid rest: the calculation date); the
    # alternative prices every tranche at the calculation date's rate.
    rate_on: str = RATE_ON_PAYMENT_DATE
    # [ASSUMED] moratorium days still count as days of delay (only accrual stops).
    moratorium_pauses_counter: bool = False
    calendar: WorkingCalendar | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self):
        for name in ("due_day", "due_day_from_switch"):
            if not 1 <= getattr(self, name) <= 28:
                raise ValueError(f"{name} must be 1..28")
        if not 0 <= self.grace_days < self.second_band_from_day - 1:
            raise ValueError("grace_days must be below second_band_from_day - 1")
        if self.first_denominator <= 0 or self.second_denominator <= 0:
            raise ValueError("denominators must be positive")
        if self.payment_order not in (OLDEST_FIRST, NEWEST_FIRST):
            raise ValueError(f"payment_order must be {OLDEST_FIRST!r} or {NEWEST_FIRST!r}")
        if self.rate_on not in (RATE_ON_PAYMENT_DATE, RATE_ON_CALCULATION_DATE):
            raise ValueError(f"rate_on must be {RATE_ON_PAYMENT_DATE!r} or {RATE_ON_CALCULATION_DATE!r}")
        if self.cap_window_by not in (CAP_BY_ACCRUAL_DAY, CAP_BY_RATE_DATE):
            raise ValueError(f"cap_window_by must be {CAP_BY_ACCRUAL_DAY!r} or {CAP_BY_RATE_DATE!r}")
        if self.cap_until < self.cap_from:
            raise ValueError("cap_until is before cap_from")
        if self.time_barred_years is not None and self.time_barred_years <= 0:
            raise ValueError("time_barred_years must be positive or None")
        object.__setattr__(self, "cap_pct", to_decimal(self.cap_pct, "cap_pct"))

    @property
    def working_calendar(self) -> WorkingCalendar:
        return self.calendar or default_calendar()


DEFAULT_SETTINGS = PenaltySettings()


# -- due date -----------------------------------------------------------------------------

def nominal_due_date(period: Period | str, settings: PenaltySettings | None = None) -> dt.date:
    """The due date before any move: the 10th (or, from `switch_period`, the 15th) of the next month."""
    settings = settings or DEFAULT_SETTINGS
    period = _period(period)
    day = settings.due_day_from_switch if period >= settings.switch_period else settings.due_day
    following = period.next()
    return dt.date(following.year, following.month, day)


def due_date(period: Period | str, settings: PenaltySettings | None = None) -> dt.date:
    """The last day to pay the charges of `period` without delay (moved off non-working days)."""
    settings = settings or DEFAULT_SETTINGS
    nominal = nominal_due_date(period, settings)
    return settings.working_calendar.next_working_day(nominal) if settings.move_to_working_day else nominal


# -- results ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class PenaltySegment:
    """A run of days with one base, one fraction and one rate; one rounded amount."""

    period: Period
    start: dt.date
    end: dt.date                                  # included
    days: int
    delay_from: int                               # number of the first day of delay in the run
    delay_to: int
    base: Decimal
    denominator: int                              # 300 or 130
    rate_pct: Decimal
    key_rates: tuple[tuple[dt.date, Decimal], ...]   # (date the rate is taken on, key rate), per tranche
    cap_pct: Decimal | None                       # the cap, when the cap rule applies to these days
    raw: Decimal                                  # unrounded
    amount: Decimal                               # rounded to the kopeck, half up

    @property
    def fraction(self) -> str:
        return f"1/{self.denominator}"

    @property
    def explanation(self) -> Explanation:
        keys = ", ".join(f"{fmt(pct)} % на {fmt_date(day)}" for day, pct in self.key_rates)
        rate_rule = (f"min({fmt(self.cap_pct)} %; ключевая {keys}) = {fmt(self.rate_pct)} %" if self.cap_pct is not None
                     else f"ключевая {keys} = {fmt(self.rate_pct)} %")
        return Explanation(
            method=METHOD + ("; " + CAP_METHOD if self.cap_pct is not None else ""),
            formula=f"пени = база × дни × ставка / 100 / {self.denominator}",
            inputs={
                "период": str(self.period), "с": fmt_date(self.start), "по": fmt_date(self.end),
                "дни просрочки": f"{self.delay_from}–{self.delay_to}", "дни": str(self.days),
                "база": fmt(self.base, 2), "доля ставки": self.fraction, "ставка": rate_rule,
            },
            steps=(
                ("расчёт",
                 f"{fmt(self.base, 2)} × {self.days} × {fmt(self.rate_pct)} / 100 / {self.denominator} = {fmt(self.raw, 6)}"),
                ("округление до копейки (ROUND_HALF_UP)", fmt(self.amount, 2)),
            ),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Allocation:
    """A part of a period's debt that was paid: on `date`, from a payment or a carried advance."""

    date: dt.date
    amount: Decimal
    source: str                                   # "payment" | "advance"


@dataclasses.dataclass(frozen=True, slots=True)
class PeriodPenalty:
    period: Period
    debt: Decimal
    nominal_due: dt.date
    due: dt.date
    first_penalty_day: dt.date                    # day 31 of delay
    second_band_day: dt.date                      # day 91 of delay
    paid: tuple[Allocation, ...]
    unpaid: Decimal                               # still owed on the calculation date
    segments: tuple[PenaltySegment, ...]
    total: Decimal

    @property
    def explanation(self) -> Explanation:
        moved = "" if self.due == self.nominal_due else f" → {fmt_date(self.due)} (нерабочий день, ГК РФ ст.193)"
        steps = [("срок оплаты", fmt_date(self.nominal_due) + moved),
                 ("31-й день просрочки (1/300)", fmt_date(self.first_penalty_day)),
                 ("91-й день просрочки (1/130)", fmt_date(self.second_band_day))]
        steps += [(f"оплачено {fmt_date(part.date)}" + (" (аванс)" if part.source == "advance" else ""), fmt(part.amount, 2))
                  for part in self.paid]
        steps.append(("не оплачено на дату расчёта", fmt(self.unpaid, 2)))
        steps += [(f"{fmt_date(s.start)}–{fmt_date(s.end)} {s.fraction} {fmt(s.rate_pct)} %",
                   f"{fmt(s.base, 2)} × {s.days} = {fmt(s.raw, 6)} → {fmt(s.amount, 2)}") for s in self.segments]
        steps.append(("итого пени за период", fmt(self.total, 2)))
        return Explanation(method=METHOD, formula="Σ округл(база × дни × ставка / 100 / 300|130) по сегментам",
                           inputs={"период": str(self.period), "долг": fmt(self.debt, 2)}, steps=tuple(steps))


@dataclasses.dataclass(frozen=True, slots=True)
class PenaltyResult:
    calc_date: dt.date
    since: dt.date | None
    periods: tuple[PeriodPenalty, ...]
    segments: tuple[PenaltySegment, ...]
    total: Decimal                                # = sum of the rounded segments
    notes: tuple[str, ...] = ()                   # the settings the result was computed with

    @property
    def explanation(self) -> Explanation:
        inputs = {"дата расчёта": fmt_date(self.calc_date)}
        if self.since:
            inputs["пени начисляются с"] = fmt_date(self.since)
        steps = tuple((f"период {p.period}", fmt(p.total, 2)) for p in self.periods) + (("итого", fmt(self.total, 2)),)
        return Explanation(method=METHOD, formula="пени = Σ по периодам Σ округл(сегмент); сегменты округляются по отдельности",
                           inputs=inputs, steps=steps, notes=self.notes)


# -- the calculation ----------------------------------------------------------------------

@dataclasses.dataclass(slots=True)
class _Tranche:
    amount: Decimal
    last_day: dt.date                             # the last day it accrues
    rate_date: dt.date                            # the day its key rate is taken on


def penalty(
    debts_by_period: Mapping[Period | str, Decimal | int | str] | Iterable[Debt],
    payments: Iterable[Payment] = (),
    calc_date: dt.date | None = None,
    key_rates: KeyRateTable | Iterable[KeyRate | tuple] | None = None,
    moratoria: Iterable[Moratorium] | None = None,
    settings: PenaltySettings | None = None,
    *,
    since: dt.date | None = None,
) -> PenaltyResult:
    """Penalties on `debts_by_period` up to and including `calc_date`.

    `key_rates` defaults to the shipped table, `moratoria` to DEFAULT_MORATORIA (pass () for
    none). With `since`, only the days from `since` on are accrued (the penalty of one month of
    a run); payments and counters still start from each period's due date.
    """
    if calc_date is None:
        raise TypeError("calc_date is required")
    settings = settings or DEFAULT_SETTINGS
    if since is not None and since > calc_date:
        raise ValueError(f"since ({since}) is after calc_date ({calc_date})")
    table = key_rates if isinstance(key_rates, KeyRateTable) else (
        default_key_rates() if key_rates is None else KeyRateTable(key_rates))
    stops = _merge(DEFAULT_MORATORIA if moratoria is None else moratoria)
    debts = _debts(debts_by_period, settings)
    allocations = _allocate(debts, [_payment(p) for p in payments], calc_date, settings)

    periods = []
    for (debt, due), paid in zip(debts, allocations, strict=True):
        periods.append(_period_penalty(debt, due, paid, calc_date, since, table, stops, settings))
    segments = tuple(s for p in periods for s in p.segments)
    total = sum((s.amount for s in segments), Decimal("0.00"))
    return PenaltyResult(calc_date=calc_date, since=since, periods=tuple(periods), segments=segments, total=total,
                         notes=_notes(settings) + tuple(f"мораторий {fmt_date(m.start)}–{fmt_date(m.end)}" for m in stops))


def _period_penalty(debt: Debt, due: dt.date, paid: list[Allocation], calc_date: dt.date, since: dt.date | None,
                    table: KeyRateTable, stops: list[Moratorium], settings: PenaltySettings) -> PeriodPenalty:
    first_day = _delay_date(due, settings.grace_days + 1, stops, settings.moratorium_pauses_counter)
    second_day = _delay_date(due, settings.second_band_from_day, stops, settings.moratorium_pauses_counter)
    next_day = settings.payment_reduces_base_next_day
    by_calc = settings.rate_on == RATE_ON_CALCULATION_DATE
    tranches = [_Tranche(part.amount, part.date if next_day else part.date - _ONE, calc_date if by_calc else part.date)
                for part in paid]
    unpaid = debt.amount - sum((part.amount for part in paid), Decimal(0))
    if unpaid > 0:
        tranches.append(_Tranche(unpaid, calc_date, calc_date))

    low = max(first_day, since) if since else first_day
    segments: list[PenaltySegment] = []
    if low <= calc_date and tranches:
        cuts = {low, calc_date + _ONE, second_day, settings.cap_from, settings.cap_until + _ONE}
        cuts.update(t.last_day + _ONE for t in tranches)
        for stop in stops:
            cuts.update((stop.start, stop.end + _ONE))
        points = sorted(c for c in cuts if low <= c <= calc_date + _ONE)
        open_runs: dict[tuple, list] = {}
        finished: list[list] = []
        for start, stop_at in itertools.pairwise(points):
            end = stop_at - _ONE
            if _stopped(start, stops):
                continue
            denominator = settings.first_denominator if start < second_day else settings.second_denominator
            groups: dict[tuple, list] = {}
            for tranche in tranches:
                if tranche.last_day < start:
                    continue
                rate, cap, key = _rate(tranche.rate_date, start, table, settings)
                group = groups.setdefault((rate, cap), [Decimal(0), set()])
                group[0] += tranche.amount
                group[1].add((tranche.rate_date, key))
            for (rate, cap), (base, sources) in groups.items():
                run_key = (denominator, rate, cap, tuple(sorted(sources)))
                run = open_runs.get(run_key)
                if run is not None and run[1] == start - _ONE and run[2] == base:
                    run[1] = end
                    continue
                if run is not None:
                    finished.append(run)
                open_runs[run_key] = [start, end, base, run_key]
        finished.extend(open_runs.values())
        finished.sort(key=lambda run: (run[0], run[3][1]))
        for start, end, base, (denominator, rate, cap, sources) in finished:
            segments.append(_segment(debt.period, due, start, end, base, denominator, rate, cap, sources, stops, settings))
    total = sum((s.amount for s in segments), Decimal("0.00"))
    return PeriodPenalty(period=debt.period, debt=debt.amount, nominal_due=debt.due or nominal_due_date(debt.period, settings),
                         due=due, first_penalty_day=first_day, second_band_day=second_day, paid=tuple(paid),
                         unpaid=max(unpaid, Decimal(0)), segments=tuple(segments), total=total)


def _segment(period, due, start, end, base, denominator, rate, cap, sources, stops, settings) -> PenaltySegment:
    days = (end - start).days + 1
    raw = CONTEXT.divide(CONTEXT.multiply(CONTEXT.multiply(base, Decimal(days)), rate), _HUNDRED * denominator)
    pause = settings.moratorium_pauses_counter
    return PenaltySegment(
        period=period, start=start, end=end, days=days,
        delay_from=_delay_number(due, start, stops, pause), delay_to=_delay_number(due, end, stops, pause),
        base=base, denominator=denominator, rate_pct=rate, key_rates=sources, cap_pct=cap,
        raw=raw, amount=round_money(raw),
    )


@functools.lru_cache(maxsize=32)
def _notes(settings: PenaltySettings) -> tuple[str, ...]:
    s = settings
    return (
        f"срок оплаты: {s.due_day}-е число следующего месяца, с периода {s.switch_period} — {s.due_day_from_switch}-е"
        + ("; нерабочий день переносится на следующий рабочий (ГК РФ ст.193)" if s.move_to_working_day else ""),
        f"дни 1–{s.grace_days} без пени; 1/{s.first_denominator} до {s.second_band_from_day - 1}-го дня; "
        f"1/{s.second_denominator} с {s.second_band_from_day}-го",
        "платёж уменьшает базу со следующего дня, день оплаты включается [ASSUMED]" if s.payment_reduces_base_next_day
        else "платёж уменьшает базу в день оплаты [настройка]",
        ("платёж без указания периода — в самый ранний период [ASSUMED]" if s.payment_order == OLDEST_FIRST
         else "платёж без указания периода — в самый поздний период [настройка]")
        + (f"; периоды старше {s.time_barred_years} лет — в последнюю очередь" if s.time_barred_years else ""),
        f"ставка = min({fmt(s.cap_pct)} %; ключевая) для "
        + ("дней начисления" if s.cap_window_by == CAP_BY_ACCRUAL_DAY else "дат оплаты")
        + f" {fmt_date(s.cap_from)}–{fmt_date(s.cap_until)}, иначе ключевая"
        + (" [окно по дню начисления: ASSUMED]" if s.cap_window_by == CAP_BY_ACCRUAL_DAY else " [настройка]"),
        "ключевая ставка на день оплаты, для неоплаченного остатка — на дату расчёта" if s.rate_on == RATE_ON_PAYMENT_DATE
        else "ключевая ставка на дату расчёта для всех частей долга [настройка]",
        "в дни моратория пени не начисляются, счётчик дней просрочки "
        + ("приостанавливается [настройка]" if s.moratorium_pauses_counter else "продолжается [ASSUMED]"),
    )


def _rate(rate_date: dt.date, accrual_day: dt.date, table: KeyRateTable, settings: PenaltySettings):
    """(applied rate, the cap if the cap rule applies, the key rate) for one tranche on one day."""
    key = table.on(rate_date)
    window_day = accrual_day if settings.cap_window_by == CAP_BY_ACCRUAL_DAY else rate_date
    if settings.cap_from <= window_day <= settings.cap_until:
        return min(key, settings.cap_pct), settings.cap_pct, key
    return key, None, key


# -- payments -----------------------------------------------------------------------------

def _allocate(debts: list[tuple[Debt, dt.date]], payments: list[Payment], calc_date: dt.date,
              settings: PenaltySettings) -> list[list[Allocation]]:
    """Split payments over the periods' debts; returns each period's paid parts in date order.

    A payment goes first to the period the payer named, then to periods that have begun by its
    date, in `payment_order`; what is left is an advance, applied to each later period on the
    first day of that period.
    """
    outstanding = [debt.amount for debt, _ in debts]
    parts: list[list[Allocation]] = [[] for _ in debts]
    index_of = {debt.period: i for i, (debt, _) in enumerate(debts)}
    by_start = sorted(range(len(debts)), key=lambda i: debts[i][0].period)
    advance = Decimal(0)

    def take(i: int, amount: Decimal, day: dt.date, source: str) -> Decimal:
        share = min(amount, outstanding[i])
        if share > 0:
            outstanding[i] -= share
            parts[i].append(Allocation(day, share, source))
        return amount - share

    def apply_advance(until: dt.date) -> None:
        nonlocal advance
        for i in by_start:
            if advance <= 0:
                return
            first = debts[i][0].period.first_day
            if first <= until and outstanding[i] > 0:
                advance = take(i, advance, first, "advance")

    for payment in sorted((p for p in payments if p.date <= calc_date), key=lambda p: p.date):
        apply_advance(payment.date)
        left = payment.amount
        if payment.period is not None and payment.period in index_of:
            left = take(index_of[payment.period], left, payment.date, "payment")
        if left > 0:
            for i in _payment_order(debts, outstanding, payment.date, settings):
                left = take(i, left, payment.date, "payment")
                if left <= 0:
                    break
        advance += left
    apply_advance(calc_date)
    return parts


def _payment_order(debts, outstanding, day: dt.date, settings: PenaltySettings) -> list[int]:
    eligible = [i for i, (debt, _) in enumerate(debts) if outstanding[i] > 0 and debt.period.first_day <= day]
    newest = settings.payment_order == NEWEST_FIRST
    years = settings.time_barred_years

    def order(i: int):
        debt, due = debts[i]
        barred = years is not None and _add_years(due, years) < day
        return (barred, _reverse(due) if newest else due, debt.period)

    return sorted(eligible, key=order)


def _reverse(day: dt.date) -> int:
    return -day.toordinal()


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:                            # 29 February
        return day.replace(year=day.year + years, day=28)


# -- days ---------------------------------------------------------------------------------

def _merge(moratoria: Iterable[Moratorium]) -> list[Moratorium]:
    merged: list[Moratorium] = []
    for stop in sorted(moratoria, key=lambda m: m.start):
        if merged and stop.start <= merged[-1].end + _ONE:
            last = merged[-1]
            merged[-1] = Moratorium(last.start, max(last.end, stop.end), "; ".join(filter(None, (last.act, stop.act))))
        else:
            merged.append(stop)
    return merged


def _stopped(day: dt.date, stops: list[Moratorium]) -> bool:
    return any(stop.start <= day <= stop.end for stop in stops)


def _delay_date(due: dt.date, number: int, stops: list[Moratorium], pause: bool) -> dt.date:
    """The date of day `number` of delay (day 1 = the day after the due date)."""
    if not pause:
        return due + dt.timedelta(days=number)
    cursor, left = due, number
    for stop in stops:
        if stop.end <= cursor:
            continue
        if stop.start > cursor + dt.timedelta(days=left):
            break
        left -= max(0, (stop.start - cursor).days - 1)
        cursor = stop.end
    return cursor + dt.timedelta(days=left)


def _delay_number(due: dt.date, day: dt.date, stops: list[Moratorium], pause: bool) -> int:
    number = (day - due).days
    if pause:
        for stop in stops:
            first, last = max(stop.start, due + _ONE), min(stop.end, day)
            if first <= last:
                number -= (last - first).days + 1
    return number


# -- input normalisation ------------------------------------------------------------------

def _period(value: Period | str) -> Period:
    return value if isinstance(value, Period) else Period.parse(value)


def _payment(payment: Payment) -> Payment:
    amount = money(payment.amount, "payment amount")
    if amount <= 0:
        raise ValueError(f"payment of {payment.date} is not positive: {amount}")
    period = None if payment.period is None else _period(payment.period)
    return Payment(payment.date, amount, period)


def _debts(debts_by_period, settings: PenaltySettings) -> list[tuple[Debt, dt.date]]:
    if isinstance(debts_by_period, Mapping):
        items = [Debt(_period(period), amount) for period, amount in debts_by_period.items()]
    else:
        items = list(debts_by_period)
    result, seen = [], set()
    for item in items:
        debt = Debt(_period(item.period), money(item.amount, f"debt for {item.period}"), item.due)
        if debt.period in seen:
            raise ValueError(f"period {debt.period} given twice")
        seen.add(debt.period)
        if debt.amount < 0:
            raise ValueError(f"debt for {debt.period} is negative ({debt.amount}); net corrections before the calculation")
        result.append((debt, debt.due or due_date(debt.period, settings)))
    result.sort(key=lambda pair: (pair[1], pair[0].period))
    return result

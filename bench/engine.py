"""The charge engine alone: accounts per second in one process, on a realistic account mix.

Builds a region-like mix of account-periods in memory (8 services each: cold and hot water,
sewage, electricity, heating, ТКО, capital repair, common-property electricity), with the
tariff and norm tuples shared by every account as the monthly run shares them:
- about half the water and electricity meters with this period's readings; the rest without
  readings (1st–3rd period: average; 4th+: norm), broken or past verification, or no meter
  at all (norm, or norm × 1.5 where a meter could be installed), a few readings resuming
  after a gap (catch-up);
- a third of the electricity meters with day/night zones; 2026 volume ranges on every
  electricity tariff, a few accounts above 3900 kWh; urban, urban with electric stove, rural;
- heating by norm over area or by the house meter's share; some temporary absences.

Then `compute` runs over the whole mix several times, each pass after a short run of the
baseline; the best pass and the best baseline count (the machines are shared).

Figures: engine_accounts_per_s, engine_lines_per_s, engine_lines_per_account,
engine_us_per_account, decimal_ops_per_s (same-run baseline: a tight loop of Decimal
multiply + quantize), engine_accounts_per_decimal_kop (accounts/s ÷ decimal ops/s × 1000),
projected_run_s_1m_accounts_2_processes (1,000,000 accounts on two such processes).
"""
from __future__ import annotations

import datetime as dt
import gc
import random
import sys
import time
from decimal import ROUND_HALF_UP, Decimal

from common import ROOT, arguments, emit

sys.path.insert(0, str(ROOT / "services" / "accruals"))

from accruals.domain.charges import (  # noqa: E402
    Absence,
    AccountInputs,
    CommonResource,
    HouseInputs,
    MeterPeriod,
    MeterState,
    compute,
    samples,
)
from gorod_runtime.period import Period  # noqa: E402

D = Decimal
PERIOD = Period(2026, 3)
# Barnaul 2026 tariffs (rules.md §9) with day/night zone rates and the 2026 electricity ranges,
# and the illustrative norms of rules.md: one tuple per service, shared by every account.
TARIFFS = samples.TARIFFS
NORMS = samples.NORMS
SERVICES = (samples.COLD_WATER, samples.HOT_WATER, samples.SEWAGE, samples.ELECTRICITY, samples.HEATING, samples.WASTE,
            samples.CAPITAL_REPAIR, samples.COMMON_ELECTRICITY)


def history(rng: random.Random, mean: float, months: int, gap: int, prev_method: str = "average") -> tuple[MeterPeriod, ...]:
    start = PERIOD
    for _ in range(months + gap):
        start = Period(start.year - 1, 12) if start.month == 1 else Period(start.year, start.month - 1)
    entries = []
    period = start
    for i in range(months + gap):
        if i < months:
            volume = D(str(round(rng.uniform(0.6, 1.4) * mean, 3)))
            entries.append(MeterPeriod(period, volume, volume, "meter"))
        else:
            entries.append(MeterPeriod(period, None, D(str(round(mean, 3))), prev_method))
        period = period.next()
    return tuple(entries)


def meter(rng: random.Random, meter_id: str, mean: float, zone: str = "", kind: str = "water") -> MeterState:
    """A register in one of the states of the mix."""
    roll = rng.random()
    places = 3 if kind == "water" else 0
    volume = D(str(round(rng.uniform(0.5, 1.5) * mean, places)))
    if roll < 0.80:     # readings this period, 12 months of history
        return MeterState(meter_id, zone, current=volume, history=history(rng, mean, 12, 0))
    if roll < 0.90:     # no readings: 1st to 5th period (average, then norm)
        return MeterState(meter_id, zone, history=history(rng, mean, 12, rng.randrange(0, 5)))
    if roll < 0.95:     # readings resume after a gap: catch-up
        gap = rng.randrange(1, 4)
        return MeterState(meter_id, zone, current=volume * (gap + 1), history=history(rng, mean, 12, gap))
    status = "broken" if roll < 0.975 else "verification_expired"
    since = dt.date(2025, rng.randrange(9, 13), rng.randrange(1, 28))
    return MeterState(meter_id, zone, status=status, since=since, history=history(rng, mean, 12, 0))


def account(rng: random.Random, i: int, houses: list) -> AccountInputs:
    house = houses[i % len(houses)]
    rooms = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
    residents = rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4, 5))
    area = D(str(round(18 + rooms * rng.uniform(12, 20), 1)))
    metered = rng.random() < 0.6           # water and electricity meters fitted
    meters = {}
    if metered:
        meters["cold_water"] = (meter(rng, f"c{i}", 4.0),)
        meters["hot_water"] = (meter(rng, f"h{i}", 2.5),)
        mean = 5000.0 if rng.random() < 0.01 else 180.0
        if rng.random() < 0.33:
            meters["electricity"] = (meter(rng, f"e{i}", mean * 0.7, "day", "kWh"), meter(rng, f"e{i}", mean * 0.3, "night", "kWh"))
        else:
            meters["electricity"] = (meter(rng, f"e{i}", mean, "", "kWh"),)
    absences = ()
    if rng.random() < 0.02:
        start = dt.date(2026, 3, rng.randrange(1, 20))
        absences = (Absence(1, start, start + dt.timedelta(days=rng.randrange(3, 20))),)
    rural = house.total_area < 1000
    return AccountInputs(
        number=str(2_200_000_000 + i), period=PERIOD, total_area=area, heated_area=area, residents=residents,
        registered=residents, rooms=rooms, house=house, services=SERVICES, tariffs=TARIFFS, norms=NORMS, meters=meters,
        absences=absences, meter_installable=metered or rng.random() < 0.5, settlement="rural" if rural else "urban",
        electric_stove=rng.random() < 0.3)


def houses(rng: random.Random, count: int) -> list[HouseInputs]:
    result = []
    for _ in range(count):
        total = D(str(round(rng.uniform(800, 12000), 1)))
        with_meter = rng.random() < 0.6
        common = {"common_electricity": CommonResource(
            D("0.55"), D(str(round(float(total) * rng.uniform(0.2, 0.8), 1))) if rng.random() < 0.7 else None,
            D("120"), D(str(round(float(total) * 0.1, 1))), D(str(round(float(total) * 0.3, 1))))}
        result.append(HouseInputs(total, D(str(round(float(total) * 0.12, 1))), with_meter,
                                  D(str(round(float(total) * 0.019, 3))) if with_meter else None, common=common))
    return result


def decimal_baseline(seconds: float) -> float:
    """Decimal multiply + quantize per second, a tight loop."""
    values = [D(str(round(random.uniform(0, 50), 3))) for _ in range(1000)]
    rate = D("36.47")
    cent = D("0.01")
    done = 0
    started = time.perf_counter()
    while True:
        for value in values:
            (value * rate).quantize(cent, ROUND_HALF_UP)
        done += len(values)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    args = arguments(__doc__.splitlines()[0], accounts=(int, 0, "accounts in the mix (default 20000, 5000 with --quick)"),
                     passes=(int, 0, "passes over the mix (default 5, 3 with --quick)"))
    count = args.accounts or (5_000 if args.quick else 20_000)
    passes = args.passes or (3 if args.quick else 5)
    rng = random.Random(20260301)
    house_list = houses(rng, max(1, count // 60))
    mix = [account(rng, i, house_list) for i in range(count)]
    lines = sum(len(compute(a)) for a in mix)          # warm-up: builds the tariff views once
    best = float("inf")
    baseline = 0.0
    gc.collect()
    gc.freeze()      # the inputs are long-lived, as in a run that loads a batch and computes it
    for _ in range(passes):   # baseline and engine interleaved, so both see the same machine load
        baseline = max(baseline, decimal_baseline(0.2 if args.quick else 0.4))
        started = time.perf_counter()
        for a in mix:
            compute(a)
        best = min(best, time.perf_counter() - started)
    rate = count / best
    emit("engine_accounts_per_s", rate, "accounts/s")
    emit("engine_lines_per_s", lines / best, "lines/s")
    emit("engine_lines_per_account", lines / count, "lines")
    emit("engine_us_per_account", best / count * 1e6, "us")
    emit("decimal_ops_per_s", baseline, "ops/s")
    emit("engine_accounts_per_decimal_kop", rate / baseline * 1000, "accounts per 1000 decimal ops")
    emit("projected_run_s_1m_accounts_2_processes", 1_000_000 / (2 * rate), "s")


if __name__ == "__main__":
    main()

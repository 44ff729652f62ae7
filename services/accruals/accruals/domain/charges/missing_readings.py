"""A meter without usable readings: п.59 and п.60 of ПП 354 (rules.md §1.4, example E-06).

Case «б» (readings not submitted): the average monthly volume from the readings of at least
6 months (a younger meter: its actual period, at least 3 months), rounded to 0.001, for at
most 3 periods in a row; from the 4th period by the norm without a coefficient.

Case «а» (meter broken or its verification interval expired, from `MeterState.since`): the
same average for at most 3 periods counted from the period of the event, then the norm
× (1 + K) (п.60) for the kinds with the increasing coefficient.

When readings come back after case «б», the actual volume since the last real reading minus
the volumes billed by average or norm in between is charged (or credited) in this period as a
recalculation line (п.59, last paragraph; п.61).

Without enough history for an average (less than 3 months of readings) the norm applies at
once, without the coefficient [ASSUMED: the increase of п.60 is for after the 3 periods].
"""
from __future__ import annotations

from decimal import Decimal

from gorod_runtime.period import Period

from .model import ACTIVE, AVERAGE, CATCH_UP, METER, MeterState
from .money import ZERO, divide, month_index, quantize
from .settings import EngineSettings

F_AVERAGE = "V = ΣV_i / m, округлено (п.59 «б» ПП 354)"
F_CATCH_UP = "ΔV = V_факт − ΣV_начисл (п.59, п.61 ПП 354)"
CASE_A = "a"
CASE_B = "b"
_CASE_A_STATUS = {"broken": "прибор учёта неисправен", "verification_expired": "истёк межповерочный интервал"}


def average(history, settings: EngineSettings) -> tuple[Decimal, int, Decimal, list] | None:
    """(average, months, total, volumes used) from the readings before the trailing gap, or None.

    An entry with a volume covers its own period and the periods without readings just before
    it (the volume counts from the previous real reading), so a catch-up reading does not
    inflate the average.
    """
    i = len(history) - 1
    while i >= 0 and history[i].volume is None:
        i -= 1
    months = 0
    total = ZERO
    used = []
    while i >= 0 and months < settings.average_months:
        entry = history[i]
        j = i - 1
        while j >= 0 and history[j].volume is None:
            j -= 1
        total += entry.volume
        months += i - j
        used.append(entry)
        i = j
    if months < settings.average_min_months:
        return None
    return quantize(divide(total, Decimal(months)), settings.average_quantum), months, total, used


def trailing_gap(history) -> int:
    """How many of the last periods had no readings."""
    count = 0
    for entry in reversed(history):
        if entry.volume is not None:
            break
        count += 1
    return count


def resolve(meter: MeterState, period: Period, settings: EngineSettings):
    """What to bill for a register with no usable readings this period, or with readings after a gap.

    Returns ("part", part) for a meter, average or catch-up part, or ("norm", case, why) when
    the norm applies (case CASE_A: with the increase where the kind has it).
    """
    history = meter.history
    if meter.status == ACTIVE:
        gap = trailing_gap(history)
        if meter.current is not None:
            return "part", _catch_up(meter, history, gap) if gap else meter_part(meter)
        k = gap + 1
        case, event = CASE_B, "показания не переданы"
    else:
        event = _CASE_A_STATUS.get(meter.status, meter.status)
        if meter.since is not None:
            k = max(1, month_index(period) - month_index(meter.since) + 1)
            event += f" с {meter.since:%d.%m.%Y}"
        else:
            k = trailing_gap(history) + 1
        case = CASE_A
    limit = settings.average_max_periods
    if k > limit:
        if case == CASE_A:
            return "norm", CASE_A, f"п.60: {event}; {k}-й период без учёта (после {limit} по среднему) — по нормативу"
        return "norm", CASE_B, f"п.60: {event} {k}-й период подряд (после {limit} по среднему) — по нормативу без коэффициента"
    found = average(history, settings)
    if found is None:
        return "norm", CASE_B, (f"п.59: {event}; показаний меньше чем за {settings.average_min_months} мес. — среднее "
                                "не определить, по нормативу")
    value, months, total, used = found
    exact = divide(total, Decimal(months))
    volumes = ", ".join(f"{e.period}: {e.volume}" for e in reversed(used))
    part = (meter.zone, value, AVERAGE, False, "", F_AVERAGE,
            {"ΣV_i": str(total), "m": str(months), "объёмы по показаниям": volumes, "прибор": meter.meter_id},
            (("ΣV_i / m", f"{total} / {months} = {exact}"), (f"V, до {settings.average_quantum}", str(value))),
            (f"п.59 «{'а' if case == CASE_A else 'б'}»: {event}; период {k} из {limit} по среднемесячному объёму",))
    return "part", part


def meter_part(meter: MeterState) -> tuple:
    """Формула 1: the register's volume for the period."""
    volume = meter.current
    readings = meter.readings
    if readings is None:
        return (meter.zone, volume, METER, False, "", "V — объём по прибору учёта (формула 1 прил. 2 ПП 354)",
                {"V": str(volume), "прибор": meter.meter_id}, (), ())
    return (meter.zone, volume, METER, False, "", "V = X_тек − X_пред (формула 1 прил. 2 ПП 354)",
            {"X_пред": str(readings[0]), "X_тек": str(readings[1]), "прибор": meter.meter_id},
            (("V = X_тек − X_пред", f"{readings[1]} − {readings[0]} = {volume}"),), ())


def _catch_up(meter: MeterState, history, gap: int) -> tuple:
    entries = history[len(history) - gap:]
    billed = sum((e.billed for e in entries if e.billed is not None), ZERO)
    actual = meter.current
    delta = actual - billed
    periods = "; ".join(f"{e.period}: {e.method} {e.billed}" for e in entries)
    steps = (("ΔV = V_факт − ΣV_начисл", f"{actual} − {billed} = {delta}"),)
    if meter.readings is not None:
        steps = (("V_факт = X_тек − X_посл", f"{meter.readings[1]} − {meter.readings[0]} = {actual}"),) + steps
    return (meter.zone, delta, METER, True, CATCH_UP, F_CATCH_UP,
            {"V_факт": str(actual), "ΣV_начисл": str(billed), "начислено без показаний": periods, "прибор": meter.meter_id},
            steps,
            (f"показания возобновлены после {gap} пер. без показаний: фактический объём с последнего показания минус "
             "объёмы, начисленные по среднему или нормативу, — доначисление (или уменьшение) в этом периоде",))

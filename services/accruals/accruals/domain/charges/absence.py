"""Recalculation for temporary absence: п.86–91 of ПП 354 (rules.md §1.8).

Applies when a consumer is away for more than 5 full days in a row (`absence_min_days`), not
counting the day of departure and the day of arrival, and the service is billed by norm in a
flat without a meter because one cannot technically be installed; ТКО (per person) is
recalculated whatever the meters. Heating, common property, maintenance, capital repair: never.

The reduction is proportional (п.90): ΔP = P_person × days_absent / days_in_month, with
P_person = P / n (the line's unrounded charge per charged person). Several absences add up in
person-days; only the days inside the period count. Each charged line gets a negative
recalculation line of its own (ГВС: carrier and heat).
"""
from __future__ import annotations

import datetime as dt

from .model import ABSENCE, AccountInputs, ChargeLine, Explanation
from .money import divide, period_days, quantize, round_money
from .settings import EngineSettings

ONE_DAY = dt.timedelta(days=1)
FORMULA = "ΔP = P / n × d / D (п.86–91 ПП 354); P = V × T"


def absent_days(departed_on: dt.date, returned_on: dt.date, first: dt.date, last: dt.date, min_days: int) -> int:
    """Full days away inside [first, last], or 0 when the whole absence is not more than `min_days` full days."""
    start = departed_on + ONE_DAY
    end = returned_on - ONE_DAY
    if (end - start).days + 1 <= min_days:
        return 0
    low = start if start > first else first
    high = end if end < last else last
    return max(0, (high - low).days + 1)


def person_days(inputs: AccountInputs, settings: EngineSettings, persons: int) -> tuple[int, tuple[str, ...]]:
    """Σ persons × full days away in the period (at most `persons` × days in the month), and the details.

    An account opened or closed inside the period counts only the days it is open: the days
    before or after are taken off by the part-period recalculation already (`part_period`)."""
    first, last, days_in_month = period_days(inputs.period)
    if inputs.open_days is not None:
        first, last = max(first, inputs.open_days[0]), min(last, inputs.open_days[1])
    total = 0
    details = []
    for absence in inputs.absences:
        days = absent_days(absence.departed_on, absence.returned_on, first, last, settings.absence_min_days)
        if days:
            who = min(absence.persons, persons)
            total += who * days
            details.append(f"отсутствие {absence.departed_on:%d.%m.%Y}–{absence.returned_on:%d.%m.%Y}: {who} чел. × {days} "
                           f"дн. (без дней выезда и приезда)" + (f", документ: {absence.document}" if absence.document else ""))
    return min(total, persons * days_in_month), tuple(details)


def recalculate(out: list, start: int, persons: int, days: int, days_in_month: int, details: tuple[str, ...],
                settings: EngineSettings, share=None, why: str = "") -> None:
    """Append a negative recalculation line for every regular line in out[start:].

    `share` (sewage from water volumes) is the part of the line's volume that the absence
    concerns; None means all of it. The line's volume is shown rounded to `share_quantum`;
    the amount comes from the unrounded one.
    """
    if not days or not persons:
        return
    denominator = persons * days_in_month
    for i in range(start, len(out)):
        line = out[i]
        if line.recalculation:
            continue
        volume = line.volume if share is None else line.volume * share
        charge = volume * line.tariff
        raw = -divide(charge * days, denominator)
        amount = round_money(raw)
        delta = -quantize(divide(volume * days, denominator), settings.share_quantum)
        inputs = {"V": str(volume), "T": str(line.tariff), "n": str(persons), "d": str(days), "D": str(days_in_month)}
        steps = (("P = V × T", f"{volume} × {line.tariff} = {charge}"),
                 ("ΔP = −P × d / (n × D)", f"−{charge} × {days} / ({persons} × {days_in_month}) = {raw}"),
                 ("ΔP, до копейки", str(amount)))
        notes = details + (f"перерасчёт за временное отсутствие более {settings.absence_min_days} полных дней подряд; "
                           + (why or "начисление по нормативу без прибора учёта: установка технически невозможна"),)
        if share is not None:
            notes += ("водоотведение: перерасчёт только объёма из услуг водоснабжения по нормативу",)
        out.append(ChargeLine(line.service_code, line.component, line.zone, line.band, line.method, delta, line.unit,
                              line.tariff, amount, True, ABSENCE, Explanation(FORMULA, inputs, steps, notes)))


"""An account open for part of the period (opened or closed inside it) [ASSUMED].

rules.md has no rule for it; the centre's practice is that charges which do not come from a
measured volume (by norm, average, area, per person, fixed, a house-meter share) are due for
the days the account is open, the first and the last day included: ΔP = round(P × d / D) − P
for each such line (P its rounded amount, d the open days, D the days of the month), one
negative recalculation line each, so the bill shows the full monthly figure and the reduction.
A metered volume is the consumption of the open days already. Sewage summed from water volumes
(`water_sum`) is not reduced (it follows the water lines' volumes, which stay as computed).
"""
from __future__ import annotations

from .model import PART_PERIOD, AccountInputs, ChargeLine, Explanation
from .money import divide, period_days, quantize, round_money
from .settings import EngineSettings

FORMULA = "ΔP = round(P × d / D) − P"


def recalculate(out: list[ChargeLine], inputs: AccountInputs, settings: EngineSettings) -> None:
    """Append a recalculation line for every regular line of a prorated method in `out`."""
    first, last, days_in_month = period_days(inputs.period)
    start, end = inputs.open_days
    start, end = max(start, first), min(end, last)
    days = max(0, (end - start).days + 1)
    if days >= days_in_month:
        return
    note = (f"лицевой счёт открыт в периоде {start:%d.%m.%Y}–{end:%d.%m.%Y}: {days} из {days_in_month} дн.; "
            "начисление без прибора учёта — за дни, когда счёт открыт",)
    for line in list(out):
        if line.recalculation or line.method not in settings.part_period_methods or not line.amount:
            continue
        due = round_money(divide(line.amount * days, days_in_month))
        delta = due - line.amount
        if not delta:
            continue
        volume = None if line.volume is None else -quantize(divide(line.volume * (days_in_month - days), days_in_month),
                                                             settings.share_quantum)
        steps = (("P × d / D", f"{line.amount} × {days} / {days_in_month} = {divide(line.amount * days, days_in_month)}"),
                 ("до копейки", str(due)), ("ΔP", str(delta)))
        out.append(ChargeLine(line.service_code, line.component, line.zone, line.band, line.method, volume, line.unit,
                              line.tariff, delta, True, PART_PERIOD,
                              Explanation(FORMULA, {"P": str(line.amount), "d": str(days), "D": str(days_in_month)}, steps,
                                          note)))

"""Metered services: формула 1 of ПП 354, P = V × T (rules.md §1.1, example E-01).

V is the consumption from the individual (or flat) meter for the period as the meters
service computed it (roll-over included); a multi-zone meter gives one volume per zone,
each charged at its zone's rate. Without usable readings the volume comes from
`missing_readings` (average, then norm); without a meter, from `norms` (формулы 4 and 4(1)).

`consumption` returns the service's volume parts for pricing and what sewage and the absence
recalculation need to know about them.
"""
from __future__ import annotations

from decimal import Decimal

from . import absence, missing_readings, norms, pricing
from .model import ABSENT, ACTIVE, AccountInputs, ServiceSpec
from .money import ZERO, period_days
from .settings import EngineSettings


class Consumption:
    """A service's volume parts and what follows from them."""
    __slots__ = ("parts", "base", "catch_up", "without_meter")

    def __init__(self, parts: list, base: Decimal, catch_up: Decimal, without_meter: bool):
        self.parts = parts                  # parts for pricing.price
        self.base = base                    # the period's regular volume (norm volumes without the increase)
        self.catch_up = catch_up            # the catch-up volumes (recalculation)
        self.without_meter = without_meter  # billed by norm because there is no meter at all


def consumption(inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings) -> Consumption:
    meters = inputs.meters.get(service.code, ())
    if len(meters) == 1:   # the usual case: one single-zone meter with this period's readings
        meter = meters[0]
        if meter.status == ACTIVE and meter.current is not None and (not meter.history or meter.history[-1].volume is not None) \
                and service.method == "meter":
            return Consumption([missing_readings.meter_part(meter)], meter.current, ZERO, False)
    if service.method != "meter" or not meters or all(m.status == ABSENT for m in meters):
        increased = not any(m.status != ABSENT for m in meters) and norms.increased_applies(inputs, service, settings)
        part, base = norms.norm_part(inputs, service, settings, increased)
        return Consumption([part], base, ZERO, not increased and not any(m.status != ABSENT for m in meters))
    parts = []
    norm_case = None
    why = ""
    period = inputs.period
    for meter in meters:
        if meter.status == ABSENT:
            continue
        outcome = missing_readings.resolve(meter, period, settings)
        if outcome[0] == "part":
            parts.append(outcome[1])
        elif norm_case != missing_readings.CASE_A:
            norm_case, why = outcome[1], outcome[2]
    if norm_case is not None:
        increased = norm_case == missing_readings.CASE_A and service.kind in settings.increased_norm_kinds
        if norm_case == missing_readings.CASE_A:
            why += " с повышающим коэффициентом (1 + K)" if increased else " без коэффициента: для этой услуги он не применяется"
        part, base = norms.norm_part(inputs, service, settings, increased, why=why)
        return Consumption([part], base, ZERO, False)
    base = ZERO
    catch_up = ZERO
    for part in parts:
        if part[3]:
            catch_up += part[1]
        else:
            base += part[1]
    return Consumption(parts, base, catch_up, False)


def charge(out: list, inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings, variant: str = "",
           heat_q: Decimal | None = None, heat_q_note: str = "") -> Consumption:
    """Lines of a consumption service (meter, average, norm) and the absence recalculation."""
    found = consumption(inputs, service, settings)
    view = pricing.tariff_view(inputs.tariffs.get(service.code, ()), variant, inputs.period, settings.tariff_split_by_days)
    start = len(out)
    pricing.price(out, inputs.number, service.code, service.unit, view, found.parts, settings, heat_q, heat_q_note)
    if found.without_meter and inputs.absences and not inputs.meter_installable and service.kind in settings.absence_kinds:
        days, details = absence.person_days(inputs, settings, inputs.residents)
        absence.recalculate(out, start, inputs.residents, days, period_days(inputs.period)[2], details, settings)
    return found

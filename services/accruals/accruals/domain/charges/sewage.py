"""Водоотведение (sewage), rules.md §1.1.

With its own meter: like any metered service (формула 1, averages, norms). Without one:
V = V_ХВС + V_ГВС, the volumes of the account's cold and hot water for the period however
they were obtained (meter, average, norm), with the ×1.5 increase of формула 4(1) left out
[ASSUMED, setting `sewage_includes_increase`]; catch-up volumes of the water services give a
sewage catch-up line. Without water services on the account: by its own norm (формула 4, no
increase). Temporary absence is recalculated on the part that comes from water billed by
norm without a meter that cannot be installed.
"""
from __future__ import annotations

from decimal import Decimal

from . import absence, metered, pricing
from .model import ABSENT, CATCH_UP, NORM_INCREASED, WATER_SUM, AccountInputs, ServiceSpec
from .money import ZERO, divide, period_days
from .settings import EngineSettings

F_SUM = "V = V_ХВС + V_ГВС (водоотведение без прибора учёта)"
_LABELS = {"cold_water": "V_ХВС", "hot_water": "V_ГВС"}
_FORMULAS = {("V_ХВС", "V_ГВС"): "V = V_ХВС + V_ГВС", ("V_ХВС",): "V = V_ХВС", ("V_ГВС",): "V = V_ГВС"}


def needs_water(inputs: AccountInputs, service: ServiceSpec) -> bool:
    """True when the volume comes from the water services (no sewage meter)."""
    return not (service.method == "meter" and any(m.status != ABSENT for m in inputs.meters.get(service.code, ())))


def charge(out: list, inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings, water: list) -> None:
    """`water`: (service, Consumption) of the account's water services, in the order of sewage_source_kinds."""
    variant = inputs.tariff_variants.get(service.code, "")
    if not water or not needs_water(inputs, service):
        metered.charge(out, inputs, service, settings, variant)
        return
    regular = ZERO
    catch_up = ZERO
    eligible = ZERO
    inputs_ = {}
    values = []
    notes = []
    for source, found in water:
        label = _LABELS.get(source.kind) or "V_" + source.code
        parts = found.parts
        volume = sum((p[1] for p in parts if not p[3]), ZERO) if settings.sewage_includes_increase else found.base
        regular += volume
        if found.catch_up:
            catch_up += found.catch_up
        if found.without_meter:
            eligible += volume
        text = str(volume)
        inputs_[label] = text
        values.append(text)
        method = parts[0][2] if len(parts) == 1 else ", ".join(sorted({p[2] for p in parts}))
        if method == NORM_INCREASED and not settings.sewage_includes_increase:
            method += " (без повышающего коэффициента)"
        notes.append(label + ": " + method)
    formula = _FORMULAS.get(tuple(inputs_)) or "V = " + " + ".join(inputs_)
    parts = [("", regular, WATER_SUM, False, "", formula + " (водоотведение без прибора учёта)", inputs_,
              ((formula, " + ".join(values) + f" = {regular}"),), tuple(notes))]
    if catch_up:
        parts.append(("", catch_up, WATER_SUM, True, CATCH_UP, "ΔV = Σ ΔV водоснабжения (показания возобновлены)",
                      {"ΔV": str(catch_up)}, (), ("доначисление (уменьшение) объёма водоснабжения по возобновлённым показаниям",)))
    view = pricing.tariff_view(inputs.tariffs.get(service.code, ()), variant, inputs.period, settings.tariff_split_by_days)
    start = len(out)
    pricing.price(out, inputs.number, service.code, service.unit, view, parts, settings)
    if eligible and inputs.absences and not inputs.meter_installable and service.kind in settings.absence_kinds:
        days, details = absence.person_days(inputs, settings, inputs.residents)
        share: Decimal | None = None if eligible == regular else divide(eligible, regular)
        absence.recalculate(out, start, inputs.residents, days, period_days(inputs.period)[2], details, settings, share)

"""The charge engine: one account, one period → its charge lines. Pure, no I/O.

    lines = compute(inputs, settings)

Dispatch by service kind (then method):
    cold_water, gas, other metered kinds → metered (формула 1; п.59/60; формулы 4, 4(1))
    hot_water → hot_water (two components)           electricity → electricity (zones, ranges)
    sewage → sewage (own meter, or ХВС + ГВС)        heating → heating (формулы 2, 3; a flat meter: 1)
    common_* → common_property (формулы 10, 12, 15)  waste → waste (per person)
    maintenance, capital_repair, method area/fixed → area
Lines come in the order of `inputs.services`; each is rounded to the kopeck, and the account's
total is the sum of its lines (`money.total`).
"""
from __future__ import annotations

from decimal import getcontext

from . import area, common_property, electricity, heating, hot_water, metered, part_period, sewage, waste
from .model import (
    CAPITAL_REPAIR,
    COLD_WATER,
    COMMON_PREFIX,
    ELECTRICITY,
    GAS,
    HEATING,
    HOT_WATER,
    MAINTENANCE,
    SEWAGE,
    WASTE,
    AccountInputs,
    ChargeError,
    ChargeLine,
)
from .settings import DEFAULT_SETTINGS, EngineSettings

__all__ = ["compute", "EngineSettings", "DEFAULT_SETTINGS"]


def _metered(out, inputs, service, settings):
    return metered.charge(out, inputs, service, settings, inputs.tariff_variants.get(service.code, ""))


def _heating(out, inputs, service, settings):
    if service.method == "meter" and inputs.meters.get(service.code):
        return _metered(out, inputs, service, settings)
    return heating.charge(out, inputs, service, settings)


_BY_KIND = {
    COLD_WATER: _metered,
    HOT_WATER: hot_water.charge,
    ELECTRICITY: electricity.charge,
    GAS: _metered,
    HEATING: _heating,
    WASTE: waste.charge,
    MAINTENANCE: area.charge,
    CAPITAL_REPAIR: area.charge,
}
_BY_METHOD = {"area": area.charge, "fixed": area.charge, "per_person": waste.charge, "meter": _metered, "norm": _metered}


def compute(inputs: AccountInputs, settings: EngineSettings = DEFAULT_SETTINGS) -> list[ChargeLine]:
    if getcontext().prec < 28:   # + and × rely on the default precision being exact for these magnitudes
        raise ArithmeticError("the thread's decimal context has less than 28 digits of precision")
    out: list[ChargeLine] = []
    water = None
    deferred = None
    sources = settings.sewage_source_kinds
    for service in inputs.services:
        kind = service.kind
        handler = _BY_KIND.get(kind)
        if handler is None:
            if kind == SEWAGE and sewage.needs_water(inputs, service):
                if deferred is None:
                    deferred = []
                deferred.append((len(out), service))
                continue
            if kind.startswith(COMMON_PREFIX):
                handler = common_property.charge
            else:
                handler = _BY_METHOD.get(service.method)
                if handler is None:
                    raise ChargeError(inputs.number, service.code, f"no rule for kind {kind!r} with method {service.method!r}")
        found = handler(out, inputs, service, settings)
        if kind in sources:
            if water is None:
                water = []
            water.append((service, found))
    if deferred:
        ordered = _water_in_order(water, settings) if water else []
        for position, service in reversed(deferred):
            lines: list[ChargeLine] = []
            sewage.charge(lines, inputs, service, settings, ordered)
            out[position:position] = lines
    if inputs.open_days is not None:
        part_period.recalculate(out, inputs, settings)
    return out


def _water_in_order(water: list, settings: EngineSettings) -> list:
    if len(water) < 2:
        return water
    order = {kind: i for i, kind in enumerate(settings.sewage_source_kinds)}
    return sorted(water, key=lambda pair: order.get(pair[0].kind, len(order)))

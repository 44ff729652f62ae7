"""Charges by area and fixed charges: содержание, капремонт and any service of method "area"
(P = S × T, S = the flat's total area) or "fixed" (P = T for the month)."""
from __future__ import annotations

from . import pricing
from .model import AREA, FIXED, AccountInputs, ServiceSpec
from .money import ONE
from .settings import EngineSettings


def charge(out: list, inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings) -> None:
    if service.method == "fixed":
        part = ("", ONE, FIXED, False, "", "V = 1 месяц", {}, (), ())
    else:
        area = inputs.total_area
        part = ("", area, AREA, False, "", "V = S (общая площадь помещения)", {"S": str(area)}, (), ())
    view = pricing.tariff_view(inputs.tariffs.get(service.code, ()), inputs.tariff_variants.get(service.code, ""),
                               inputs.period, settings.tariff_split_by_days)
    pricing.price(out, inputs.number, service.code, service.unit, view, [part], settings)

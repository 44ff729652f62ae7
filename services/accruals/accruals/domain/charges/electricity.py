"""Electricity (rules.md §0.4, §1.1, §9): zones, tariff variants, the 2026 monthly-volume ranges.

- A multi-zone meter gives one register (`MeterState`) per zone; each zone's volume is
  charged at its zone's rate (day/night, peak/semi-peak/night). Without usable readings a
  zone gets its own average; if any zone falls to the norm, the whole service is charged by
  the norm at the single-rate tariff (zone "").
- Tariff variant: rural for rural settlements, urban_electric_stove with an electric stove,
  else urban (`AccountInputs.tariff_variants` overrides); rows without a variant fit all.
- Altai Krai 2026 ranges 0–3900, 3900–6000, > 6000 kWh/month are the tariff rows'
  (range_from, range_to]. `electricity_ranges` = marginal [ASSUMED default, rules §11.4]:
  each part of the month's volume at its range's rate; a volume crossing a limit is split.
  whole_volume: all of it at the rate of the range the month's volume reaches. With zones, each
  range's volume is shared among the zones in proportion to their volumes [ASSUMED].
  The splitting itself is `pricing.price`; this module picks the variant.
"""
from __future__ import annotations

from . import metered
from .model import AccountInputs, ServiceSpec
from .settings import EngineSettings

URBAN = "urban"
URBAN_ELECTRIC_STOVE = "urban_electric_stove"
RURAL = "rural"


def variant(inputs: AccountInputs, service: ServiceSpec) -> str:
    chosen = inputs.tariff_variants.get(service.code)
    if chosen is not None:
        return chosen
    if inputs.settlement == RURAL:
        return RURAL
    return URBAN_ELECTRIC_STOVE if inputs.electric_stove else URBAN


def charge(out: list, inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings) -> metered.Consumption:
    return metered.charge(out, inputs, service, settings, variant(inputs, service))

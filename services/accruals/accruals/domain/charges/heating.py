"""Heating (rules.md §1.5).

- Формула 3 — the house has a heat meter (ОДПУ) and no flat has one: V_i = V_D × S_i / S_об,
  P = V_i × T (the share rounded to `share_quantum`).
- Формула 2 — no house meter (or no reading of it this period): V_i = S_i × N_T, P = V_i × T,
  N_T in Gcal/m² per month. Billed during the heating season only [ASSUMED, setting
  `heating_season_only`], the season being the house's heating_from..heating_to; a month partly
  in the season is billed by its days in the season (`heating_partial_months` = by_days) or
  in full (full).
- S_i is the flat's total area (`heating_area` = total) or its heated area (heated).
A flat heat meter (service method "meter" with a meter) is charged by формула 1 in `metered`.
"""
from __future__ import annotations

import datetime as dt
import functools

from gorod_runtime.period import Period

from . import norms, pricing
from .model import AREA, HOUSE_METER_SHARE, AccountInputs, ChargeError, ServiceSpec
from .money import divide, period_days, quantize
from .settings import FULL, HEATED, EngineSettings

F2 = "V = S_i × N_T (формула 2 прил. 2 ПП 354)"
F2_DAYS = "V = S_i × N_T × d / D (формула 2 прил. 2 ПП 354, дни отопительного периода)"
F3 = "V = V_D × S_i / S_об (формула 3 прил. 2 ПП 354)"


@functools.lru_cache(maxsize=1024)
def season_days(period: Period, season_from: tuple[int, int], season_to: tuple[int, int]) -> int:
    """Days of the period inside the heating season (which may run over the new year)."""
    first, last, _days = period_days(period)
    count = 0
    for start_year in (period.year - 1, period.year):
        start = dt.date(start_year, *season_from)
        end_year = start_year + 1 if season_to < season_from else start_year
        end = dt.date(end_year, *season_to)
        low = max(start, first)
        high = min(end, last)
        if high >= low:
            count += (high - low).days + 1
    return count


def charge(out: list, inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings) -> None:
    house = inputs.house
    area = inputs.heated_area if settings.heating_area == HEATED else inputs.total_area
    area_name = "отапливаемая" if settings.heating_area == HEATED else "общая"
    if house.has_heat_meter and house.heat_meter_gcal is not None:
        if not house.total_area:
            raise ChargeError(inputs.number, service.code, "the house's total area (S_об) is not known")
        v_d = house.heat_meter_gcal
        raw = divide(v_d * area, house.total_area)
        volume = quantize(raw, settings.share_quantum)
        part = ("", volume, HOUSE_METER_SHARE, False, "", F3,
                {"V_D": str(v_d), "S_i": str(area), "S_об": str(house.total_area)},
                (("V = V_D × S_i / S_об", f"{v_d} × {area} / {house.total_area} = {raw}"),
                 ("V, до " + str(settings.share_quantum), str(volume))),
                (f"S_i — {area_name} площадь помещения; ОДПУ тепловой энергии",))
    else:
        first, _last, days_in_month = period_days(inputs.period)
        days = season_days(inputs.period, house.heating_from, house.heating_to) if settings.heating_season_only \
            else days_in_month
        if not days:
            return
        norm = norms.find_norm(inputs.norms.get(service.code, ()), norms.norm_variant(inputs, service), 0, 0, inputs.period)
        if norm is None:
            raise ChargeError(inputs.number, service.code, f"no heating norm valid on {first}")
        n_t = norm.value
        notes = (f"S_i — {area_name} площадь помещения; нет ОДПУ тепловой энергии",)
        if house.has_heat_meter:
            notes += ("показаний ОДПУ за период нет — по нормативу",)
        if days == days_in_month or settings.heating_partial_months == FULL:
            volume = area * n_t
            part = ("", volume, AREA, False, "", F2, {"S_i": str(area), "N_T": str(n_t)},
                    (("V = S_i × N_T", f"{area} × {n_t} = {volume}"),), notes)
        else:
            raw = divide(area * n_t * days, days_in_month)
            volume = quantize(raw, settings.share_quantum)
            part = ("", volume, AREA, False, "", F2_DAYS,
                    {"S_i": str(area), "N_T": str(n_t), "d": str(days), "D": str(days_in_month)},
                    (("V = S_i × N_T × d / D", f"{area} × {n_t} × {days} / {days_in_month} = {raw}"),
                     ("V, до " + str(settings.share_quantum), str(volume))),
                    notes + (f"отопительный период {house.heating_from[1]:02d}.{house.heating_from[0]:02d}–"
                             f"{house.heating_to[1]:02d}.{house.heating_to[0]:02d}: {days} из {days_in_month} дн. месяца",))
    view = pricing.tariff_view(inputs.tariffs.get(service.code, ()), inputs.tariff_variants.get(service.code, ""),
                               inputs.period, settings.tariff_split_by_days)
    pricing.price(out, inputs.number, service.code, service.unit, view, [part], settings)

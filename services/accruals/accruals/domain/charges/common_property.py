"""Common-property resources, КР на СОИ (rules.md §1.6): формулы 10, 12 and 15.

- Формула 12 (house meter): V_i = (V_D − ΣV_нежил − ΣV_без ИПУ − ΣV_с ИПУ) × S_i / S_об.
  A negative distribution gives 0 for the month; the result is capped at the norm volume
  (below) unless the house's ОСС decided otherwise (`CommonResource.cap` = False; default:
  the setting `common_property_cap`) [ASSUMED/RECALLED, ЖК ст.156 ч.9.2].
- Формула 15 (no house meter): V_i = N_одн × S_ои × S_i / S_об.
- Формула 10: P = V_i × T (a hot-water resource on a two-component tariff: two lines).
Derived volumes are rounded to `share_quantum`.
"""
from __future__ import annotations

from . import hot_water, pricing
from .model import HOUSE_METER_SHARE, NORM, AccountInputs, ChargeError, CommonResource, HouseInputs, ServiceSpec
from .money import ZERO, divide, quantize
from .settings import EngineSettings

F12 = "V = (V_D − ΣV_нежил − ΣV_без ИПУ − ΣV_с ИПУ) × S_i / S_об, не более N × S_ои × S_i / S_об (формулы 10, 12 прил. 2 ПП 354)"
F15 = "V = N × S_ои × S_i / S_об (формулы 10, 15 прил. 2 ПП 354)"


_houses: dict[int, tuple] = {}
_HOUSES_MAX = 16384


def _house_terms(house: HouseInputs, resource: CommonResource) -> tuple:
    """What is the same for every flat of the house: the remainder to share and the texts.

    Memoised by the identity of the house's resource (the run shares one per house).
    """
    hit = _houses.get(id(resource))
    if hit is not None and hit[0] is resource and hit[1] is house:
        return hit[2]
    n, s_oi, s_ob = resource.norm, house.common_area, house.total_area
    texts = {"N": str(n), "S_ои": str(s_oi), "S_об": str(s_ob)}
    rest = None
    rest_step = None
    if resource.house_volume is not None:
        v_d = resource.house_volume
        rest = v_d - resource.nonresidential_volume - resource.unmetered_volume - resource.metered_volume
        texts.update({"V_D": str(v_d), "ΣV_нежил": str(resource.nonresidential_volume),
                      "ΣV_без ИПУ": str(resource.unmetered_volume), "ΣV_с ИПУ": str(resource.metered_volume)})
        rest_step = ("V_D − ΣV_нежил − ΣV_без ИПУ − ΣV_с ИПУ", f"{v_d} − {resource.nonresidential_volume} − "
                     f"{resource.unmetered_volume} − {resource.metered_volume} = {rest}")
    terms = (texts, rest, rest_step, f"{n} × {s_oi} × ", f" / {s_ob} = ", n * s_oi)
    if len(_houses) >= _HOUSES_MAX:
        _houses.clear()
    _houses[id(resource)] = (resource, house, terms)
    return terms


def charge(out: list, inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings) -> None:
    house = inputs.house
    resource = house.common.get(service.code)
    if resource is None:
        raise ChargeError(inputs.number, service.code, "no common-property data of the house for this service")
    if not house.total_area:
        raise ChargeError(inputs.number, service.code, "the house's total area (S_об) is not known")
    texts, rest, rest_step, cap_head, cap_tail, n_s_oi = _house_terms(house, resource)
    s_i, s_ob = inputs.total_area, house.total_area
    s_i_text = str(s_i)
    cap_raw = divide(n_s_oi * s_i, s_ob)
    cap_volume = quantize(cap_raw, settings.share_quantum)
    inputs_ = texts.copy()
    inputs_["S_i"] = s_i_text
    cap_step = ("V_норм = N × S_ои × S_i / S_об", f"{cap_head}{s_i_text}{cap_tail}{cap_raw} → {cap_volume}")
    if rest is None:
        part = ("", cap_volume, NORM, False, "", F15, inputs_, (cap_step,), ("нет общедомового прибора учёта",))
    else:
        raw = divide(rest * s_i, s_ob)
        volume = quantize(raw, settings.share_quantum)
        steps = (rest_step, ("V = остаток × S_i / S_об", f"{rest} × {s_i_text} / {s_ob} = {raw} → {volume}"))
        notes = ()
        if volume < 0:
            volume = ZERO
            steps += (("отрицательный объём → 0", "0"),)
            notes += ("распределение отрицательное: за месяц 0",)
        capped = settings.common_property_cap if resource.cap is None else resource.cap
        if capped:
            steps += (cap_step,)
            if volume > cap_volume:
                volume = cap_volume
                steps += (("V = min(V, V_норм)", str(volume)),)
                notes += ("объём ограничен нормативом; сверхнормативный объём не распределяется на помещения",)
        else:
            notes += ("решение ОСС: распределение без ограничения нормативом",)
        part = ("", volume, HOUSE_METER_SHARE, False, "", F12, inputs_, steps, notes)
    view = pricing.tariff_view(inputs.tariffs.get(service.code, ()), inputs.tariff_variants.get(service.code, ""),
                               inputs.period, settings.tariff_split_by_days)
    q, q_note = (None, "")
    for zone_components in view.components.values():
        if zone_components != ("",):
            q, q_note = hot_water.heat_norm(inputs, service, settings)
            break
    pricing.price(out, inputs.number, service.code, service.unit, view, [part], settings, q, q_note)

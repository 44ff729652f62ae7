"""Charge by norm: формула 4 and формула 4(1) of ПП 354 (rules.md §1.2).

Формула 4: P = n × N × T, n = residents (permanent and temporary), N = the norm per person.
Формула 4(1): where there is no meter although one could be installed, P = n × N × (1 + K) × T,
K = 0.5 (the setting `increased_norm_k`), for the kinds in `increased_norm_kinds` (ХВС, ГВС,
electricity; not sewage, not gas). The same increased norm applies after case «а» of п.59
(meter broken or verification expired) once the 3 average periods are over (п.60).
"""
from __future__ import annotations

from decimal import Decimal

from gorod_runtime.period import Period

from .model import (
    ELECTRICITY,
    NORM,
    NORM_INCREASED,
    AccountInputs,
    ChargeError,
    Norm,
    ServiceSpec,
)
from .money import ONE, period_days
from .settings import EngineSettings

_memo: dict[tuple, tuple] = {}
_MEMO_MAX = 8192

F4 = "V = n × N (формула 4 прил. 2 ПП 354)"
F41 = "V = n × N × (1 + K) (формула 4(1) прил. 2 ПП 354)"


def find_norm(norms: tuple[Norm, ...], variant: str, rooms: int, residents: int, period: Period) -> Norm | None:
    """The norm row valid on the period's 1st for the variant, rooms and residents.

    A row with rooms (residents) 0 fits any number; otherwise the row for the number, and the
    largest row of the table also covers larger numbers ("4 rooms and more").
    """
    key = (id(norms), variant, rooms, residents, period)
    hit = _memo.get(key)
    if hit is not None and hit[0] is norms:
        return hit[1]
    day = period_days(period)[0]
    rows = [n for n in norms if n.variant == variant and n.valid_from <= day and (n.valid_to is None or n.valid_to >= day)]
    found = None
    if rows:
        top_rooms = max(n.rooms for n in rows)
        top_residents = max(n.residents for n in rows)
        want_rooms = min(rooms, top_rooms)
        want_residents = min(residents, top_residents)
        best = -1
        for n in rows:
            if (n.rooms and n.rooms != want_rooms) or (n.residents and n.residents != want_residents):
                continue
            score = (2 if n.rooms else 0) + (1 if n.residents else 0)
            if score > best:
                best, found = score, n
    if len(_memo) >= _MEMO_MAX:
        _memo.clear()
    _memo[key] = (norms, found)
    return found


def norm_variant(inputs: AccountInputs, service: ServiceSpec) -> str:
    variant = inputs.norm_variants.get(service.code)
    if variant is not None:
        return variant
    if service.kind == ELECTRICITY and inputs.electric_stove:
        return "electric_stove"
    return ""


def person_norm(inputs: AccountInputs, service: ServiceSpec) -> Norm | None:
    """N_j for the account, or None when there are no residents to charge (n = 0)."""
    norm = find_norm(inputs.norms.get(service.code, ()), norm_variant(inputs, service), inputs.rooms, inputs.residents,
                     inputs.period)
    if norm is None and inputs.residents:
        raise ChargeError(inputs.number, service.code, f"no norm for variant {norm_variant(inputs, service)!r}, "
                                                      f"{inputs.rooms} rooms, {inputs.residents} residents")
    return norm


def norm_part(inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings, increased: bool, zone: str = "",
              why: str = "") -> tuple[tuple, Decimal]:
    """The part of formula 4 or 4(1) and the base volume n × N (without the increase)."""
    norm = person_norm(inputs, service)
    n = inputs.residents
    value = norm.value if norm is not None else Decimal(0)
    base = n * value
    if increased:
        k = settings.increased_norm_k
        volume = base * (ONE + k)
        part = (zone, volume, NORM_INCREASED, False, "", F41,
                {"n": str(n), "N": str(value), "K": str(k)},
                (("V = n × N × (1 + K)", f"{n} × {value} × {ONE + k} = {volume}"),),
                (why,) if why else ("нет прибора учёта при наличии технической возможности установки: повышающий "
                                    "коэффициент (формула 4(1))",))
    else:
        volume = base
        part = (zone, volume, NORM, False, "", F4,
                {"n": str(n), "N": str(value)},
                (("V = n × N", f"{n} × {value} = {volume}"),),
                (why,) if why else ())
    return part, base


def increased_applies(inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings) -> bool:
    """Формула 4(1): no meter although one could be installed, for the kinds with the coefficient."""
    return inputs.meter_installable and service.kind in settings.increased_norm_kinds

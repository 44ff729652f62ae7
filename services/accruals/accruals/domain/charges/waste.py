"""ТКО, solid waste (rules.md §1.9): per person, P = n × T.

n = residents (living there, permanent and temporary) or registered persons: the setting
`waste_persons` [ASSUMED default: residents]. Temporary absence is recalculated whatever
the meters (п.86–91, rules §1.8), in proportion to the days away.
"""
from __future__ import annotations

from decimal import Decimal

from . import absence, pricing
from .model import PER_PERSON, AccountInputs, ServiceSpec
from .money import period_days
from .settings import REGISTERED, EngineSettings

_PERSONS = tuple(Decimal(i) for i in range(64))


def charge(out: list, inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings) -> None:
    registered = settings.waste_persons == REGISTERED
    n = inputs.registered if registered else inputs.residents
    basis = "зарегистрированные" if registered else "проживающие"
    part = ("", _PERSONS[n] if 0 <= n < 64 else Decimal(n), PER_PERSON, False, "", "V = n (ТКО на человека)",
            {"n": str(n), "основание": basis}, (), (f"число лиц: {basis} (настройка waste_persons)",))
    view = pricing.tariff_view(inputs.tariffs.get(service.code, ()), inputs.tariff_variants.get(service.code, ""),
                               inputs.period, settings.tariff_split_by_days)
    start = len(out)
    pricing.price(out, inputs.number, service.code, service.unit, view, [part], settings)
    if inputs.absences and service.kind in settings.absence_kinds:
        days, details = absence.person_days(inputs, settings, n)
        absence.recalculate(out, start, n, days, period_days(inputs.period)[2], details, settings,
                            why="ТКО начисляется по числу лиц — перерасчёт независимо от приборов учёта")

"""Sample inputs for tests, the benchmark and the docs: Barnaul 2026 tariffs (rules.md §9) and
the illustrative norms rules.md uses (the Altai Krai norm values were not retrieved).

`account(...)` makes an `AccountInputs` with sensible defaults: keyword arguments override.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from gorod_runtime.period import Period

from .model import AccountInputs, HouseInputs, MeterPeriod, MeterState, Norm, ServiceSpec, Tariff

D = Decimal
JAN_2026 = dt.date(2026, 1, 1)
SEP_30_2026 = dt.date(2026, 9, 30)
OCT_2026 = dt.date(2026, 10, 1)


def svc(code: str, kind: str | None = None, method: str = "meter", unit: str = "m3") -> ServiceSpec:
    return ServiceSpec(code, kind or code, method, unit, "2225000000", code)


COLD_WATER = svc("cold_water")
HOT_WATER = svc("hot_water")
SEWAGE = svc("sewage")
ELECTRICITY = svc("electricity", unit="kWh")
GAS = svc("gas")
HEATING = svc("heating", method="norm", unit="Gcal")
WASTE = svc("waste", method="per_person", unit="person")
CAPITAL_REPAIR = svc("capital_repair", method="area", unit="m2")
COMMON_ELECTRICITY = svc("common_electricity", method="norm", unit="kWh")


def two(jan: str, oct_: str | None = None, **kw) -> tuple[Tariff, ...]:
    """A rate from 01.01.2026 (to 30.09.2026 when an October rate is given) and the October one."""
    if oct_ is None:
        return (Tariff(D(jan), valid_from=JAN_2026, **kw),)
    return (Tariff(D(jan), valid_from=JAN_2026, valid_to=SEP_30_2026, **kw), Tariff(D(oct_), valid_from=OCT_2026, **kw))


# Electricity 2026 by range (rules §9): (Jan–Sep, from Oct) for ranges 1, 2, 3. Rural ranges 2 and
# 3 were not found: the urban no-stove values stand in for them here.
ELECTRICITY_RATES = {
    "urban": (("6.36", "7.07"), ("8.51", "9.67"), ("10.05", "11.29")),
    "urban_electric_stove": (("5.18", "5.61"), ("6.94", "7.67"), ("8.19", "8.95")),
    "rural": (("4.97", "5.49"), ("8.51", "9.67"), ("10.05", "11.29")),
}
RANGES = ((D(0), D(3900)), (D(3900), D(6000)), (D(6000), None))


def electricity_tariffs(zones: dict[str, Decimal] | None = None) -> tuple[Tariff, ...]:
    """The 2026 range tariffs for each variant; `zones` adds zone rates as factors of the single rate."""
    factors = {"": D(1), **(zones or {})}
    rows: list[Tariff] = []
    for variant, ranges in ELECTRICITY_RATES.items():
        for (low, high), (jan, oct_) in zip(RANGES, ranges, strict=True):
            for zone, factor in factors.items():
                rows += two(str((D(jan) * factor).quantize(D("0.01"))), str((D(oct_) * factor).quantize(D("0.01"))),
                            zone=zone, range_from=low, range_to=high, variant=variant)
    return tuple(rows)


TARIFFS = {
    "cold_water": two("36.47"),
    "hot_water": two("36.47", component="carrier") + two("3218.46", component="heat"),
    "sewage": two("31.95"),      # [ASSUMED in the demo data] 36.47 × 23.30 / 26.60
    "electricity": electricity_tariffs({"day": D("1.15"), "night": D("0.6")}),
    "gas": two("10.10"),
    "heating": two("3218.46"),
    "waste": two("62.30", "130.40"),
    "capital_repair": two("15.66"),
    "common_electricity": two("6.36", "7.07"),
}

_ELECTRICITY_NORMS = {
    "": ((135, 84, 65, 53, 46), (159, 99, 77, 62, 54), (175, 108, 84, 68, 59), (186, 115, 89, 72, 63)),
    "electric_stove": ((209, 130, 101, 82, 71), (246, 152, 118, 96, 83), (270, 167, 130, 105, 91), (286, 178, 138, 111, 97)),
}
NORMS = {
    "cold_water": (Norm(D("4.29"), "m3/person"),),
    "hot_water": (Norm(D("2.92"), "m3/person"), Norm(D("0.06"), "Gcal/m3", "heating_hot_water")),
    "sewage": (Norm(D("7.21"), "m3/person"),),
    "gas": (Norm(D("9.8"), "m3/person"),),
    "electricity": tuple(Norm(D(value), "kWh/person", variant, rooms, residents)
                         for variant, table in _ELECTRICITY_NORMS.items()
                         for rooms, row in enumerate(table, start=1) for residents, value in enumerate(row, start=1)),
    "heating": (Norm(D("0.0261"), "Gcal/m2"),),
}

HOUSE = HouseInputs(total_area=D("3000"), common_area=D("360"))
PERIOD = Period(2026, 3)


def account(*services: ServiceSpec, **overrides) -> AccountInputs:
    """An account in PERIOD with the given services (sample tariffs and norms); overrides win."""
    base = AccountInputs(number="2200000001", period=PERIOD, total_area=D("45.0"), heated_area=D("45.0"), residents=3,
                         registered=3, rooms=2, house=HOUSE, services=services, tariffs=TARIFFS, norms=NORMS)
    return dataclasses.replace(base, **overrides)


def months_before(period: Period, count: int) -> list[Period]:
    """The `count` periods just before `period`, oldest first."""
    result = []
    year, month = period.year, period.month
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        result.append(Period(year, month))
    return result[::-1]


def history(volumes, period: Period = PERIOD, billed_missing: str | Decimal = "5.3",
            missing_method: str = "average") -> tuple[MeterPeriod, ...]:
    """History ending just before `period`: a volume per period, None for a period without readings."""
    periods = months_before(period, len(volumes))
    entries = []
    for p, v in zip(periods, volumes, strict=True):
        if v is None:
            entries.append(MeterPeriod(p, None, D(billed_missing), missing_method))
        else:
            entries.append(MeterPeriod(p, D(v), D(v), "meter"))
    return tuple(entries)


def meter(current: str | Decimal | None, volumes=(), zone: str = "", meter_id: str = "m1", **kw) -> MeterState:
    return MeterState(meter_id, zone, current=None if current is None else D(current), history=history(volumes, **{
        k: kw.pop(k) for k in ("period", "billed_missing", "missing_method") if k in kw}), **kw)

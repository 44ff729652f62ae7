"""Every choice of the engine that rules.md marks ASSUMED (or that a region may set differently).

docs/engine.md lists each with its source; the defaults are the choices made there.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

MARGINAL = "marginal"            # each part of the volume at its range's rate (stepwise)
WHOLE_VOLUME = "whole_volume"    # the whole volume at the rate of the range it reaches
BY_DAYS = "by_days"
FULL = "full"
TOTAL = "total"
HEATED = "heated"
RESIDENTS = "residents"
REGISTERED = "registered"


@dataclasses.dataclass(slots=True, frozen=True)
class EngineSettings:
    # формула 4(1): the norm × (1 + K) where a meter could be installed and is not (rules §1.2).
    increased_norm_k: Decimal = Decimal("0.5")
    # ... for these kinds only; not sewage [ASSUMED §1.2] and not gas (§1.2).
    increased_norm_kinds: frozenset[str] = frozenset({"cold_water", "hot_water", "electricity"})

    # п.59 «б» average (rules §1.4): at least 6 months of readings, else the meter's actual
    # period but at least 3 months; for at most 3 periods in a row; rounded to 0.001 (§8).
    average_months: int = 6
    average_min_months: int = 3
    average_max_periods: int = 3
    average_quantum: Decimal = Decimal("0.001")

    # Electricity 2026 ranges (rules §0.4, §11.4) [ASSUMED]: marginal (stepwise) or whole_volume.
    electricity_ranges: str = MARGINAL

    # A tariff that changes inside the month [ASSUMED]: False = the tariff valid on the 1st for
    # the whole month; True = the month's volume split by days between the tariffs.
    tariff_split_by_days: bool = False

    # Heating by norm (формула 2) [ASSUMED, rules §1.5]: billed in the heating season only; a
    # month partly in the season is billed by its days in the season (by_days) or in full (full).
    heating_season_only: bool = True
    heating_partial_months: str = BY_DAYS
    # S_i of формулы 2 and 3: the flat's total area (rules §1.5) or its heated area.
    heating_area: str = TOTAL

    # ГВС heat component: Gcal per m³ when the norms hold no "heating_hot_water" row (rules §1.7).
    hot_water_heat_norm: Decimal = Decimal("0.06")

    # ТКО per person: residents (living there) or registered persons [ASSUMED].
    waste_persons: str = RESIDENTS

    # п.86–91 (rules §1.8): recalculated when away for MORE than this many full days.
    absence_min_days: int = 5
    # Kinds recalculated when billed by norm without a meter because one cannot be installed ...
    absence_kinds: frozenset[str] = frozenset({"cold_water", "hot_water", "sewage", "electricity", "gas", "waste"})
    # ... and kinds recalculated whatever the meters (ТКО is per person).
    absence_any_meter_kinds: frozenset[str] = frozenset({"waste"})

    # КР на СОИ (rules §1.6) [ASSUMED]: the house-meter distribution is capped at the norm
    # volume unless the house's CommonResource.cap says otherwise (an ОСС decision).
    common_property_cap: bool = True

    # Водоотведение without its own meter = ХВС + ГВС volumes (rules §1.1). The ×1.5 increase
    # of формула 4(1) is not carried into sewage [ASSUMED: sewage has no increasing coefficient].
    sewage_source_kinds: tuple[str, ...] = ("cold_water", "hot_water")
    sewage_includes_increase: bool = False

    # An account opened or closed inside the period [ASSUMED; rules.md has no rule]: lines by
    # these methods are due for the days it is open (ΔP = round(P × d / D) − P, a recalculation
    # line each); measured volumes (meter, and sewage from them) are what they are.
    part_period_methods: frozenset[str] = frozenset({"norm", "norm_increased", "average", "area", "fixed", "per_person",
                                                     "house_meter_share"})

    # Derived volumes [ASSUMED]: shares of a house meter or a norm by area and days are rounded
    # to share_quantum; a volume split between zones, ranges or tariff periods to split_quantum
    # (the remainder goes to the last part, so the parts add up exactly).
    share_quantum: Decimal = Decimal("0.000001")
    split_quantum: Decimal = Decimal("0.001")

    # A zone-metered service billed by norm is priced at the single-rate tariff (zone "");
    # without one, at this zone's rate [ASSUMED].
    norm_zone_fallback: str = "day"

    def __post_init__(self):
        if self.electricity_ranges not in (MARGINAL, WHOLE_VOLUME):
            raise ValueError(f"electricity_ranges: {MARGINAL} or {WHOLE_VOLUME}, not {self.electricity_ranges!r}")
        if self.heating_partial_months not in (BY_DAYS, FULL):
            raise ValueError(f"heating_partial_months: {BY_DAYS} or {FULL}, not {self.heating_partial_months!r}")
        if self.heating_area not in (TOTAL, HEATED):
            raise ValueError(f"heating_area: {TOTAL} or {HEATED}, not {self.heating_area!r}")
        if self.waste_persons not in (RESIDENTS, REGISTERED):
            raise ValueError(f"waste_persons: {RESIDENTS} or {REGISTERED}, not {self.waste_persons!r}")
        if not 1 <= self.average_min_months <= self.average_months:
            raise ValueError("need 1 <= average_min_months <= average_months")
        if self.average_max_periods < 0 or self.absence_min_days < 0 or self.increased_norm_k < 0:
            raise ValueError("average_max_periods, absence_min_days and increased_norm_k must not be negative")


DEFAULT_SETTINGS = EngineSettings()

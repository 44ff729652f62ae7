"""Inputs and output of the charge engine: one account and one period, self-contained.

Everything the engine needs for an account-period is in one `AccountInputs`: the flat, its
house, the services it pays for, the tariffs and norms of those services, the meters with
their recent history, and the absences. Tariff and norm tuples are meant to be shared by
every account of a run (the engine memoises lookups on them), so pass tuples, never lists.

The output is a list of `ChargeLine`, each rounded to the kopeck and carrying its own
explanation (how the volume and the amount were obtained), so the cabinet can show «how
this was calculated» and an operator can answer a complaint.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import types
from collections.abc import Mapping
from decimal import Decimal

from accruals.domain.explanation import Explanation
from gorod_runtime.period import Period

from .money import ZERO

EMPTY: Mapping = types.MappingProxyType({})


def _empty() -> Mapping:
    return EMPTY


def _no_mapping():
    """An empty, read-only mapping as a field's default."""
    return dataclasses.field(default_factory=_empty)
EARLIEST = dt.date(1900, 1, 1)

# -- service kinds (services.kind) and billing methods (services.method) ------------------------

COLD_WATER = "cold_water"
HOT_WATER = "hot_water"
SEWAGE = "sewage"
ELECTRICITY = "electricity"
GAS = "gas"
HEATING = "heating"
WASTE = "waste"
MAINTENANCE = "maintenance"
CAPITAL_REPAIR = "capital_repair"
COMMON_PREFIX = "common_"          # common_cold_water, common_hot_water, common_electricity, ...

SERVICE_METHODS = ("meter", "norm", "area", "fixed", "per_person")

# -- how a line was computed (ChargeLine.method) ------------------------------------------------

METER = "meter"                          # формула 1: the meter's volume
AVERAGE = "average"                      # п.59: the average monthly volume
NORM = "norm"                            # формула 4 (also 15 for common property)
NORM_INCREASED = "norm_increased"        # формула 4(1) and п.60 after case «а»: norm × (1 + K)
AREA = "area"                            # формула 2 (heating by norm over area); area × rate
HOUSE_METER_SHARE = "house_meter_share"  # формулы 3 and 12: the house meter's volume by area share
PER_PERSON = "per_person"                # ТКО: persons × rate
WATER_SUM = "water_sum"                  # водоотведение = ХВС + ГВС
FIXED = "fixed"                          # a fixed monthly amount

METHOD_LABELS = {
    METER: "по прибору учёта",
    AVERAGE: "по среднемесячному объёму",
    NORM: "по нормативу",
    NORM_INCREASED: "по нормативу × 1,5",
    AREA: "по площади",
    HOUSE_METER_SHARE: "по общедомовому прибору, пропорционально площади",
    PER_PERSON: "по числу проживающих",
    WATER_SUM: "сумма объёмов ХВС и ГВС",
    FIXED: "фиксированная плата",
}

# -- reasons of recalculation lines (ChargeLine.reason) -----------------------------------------

CATCH_UP = "catch_up"          # readings resumed: actual volume minus volumes billed by average/norm
ABSENCE = "absence"            # п.86–91: temporary absence
PART_PERIOD = "part_period"    # the account was open for part of the period (opened or closed in it)

# -- meter status --------------------------------------------------------------------------------

ACTIVE = "active"
BROKEN = "broken"
VERIFICATION_EXPIRED = "verification_expired"
ABSENT = "absent"
METER_STATUSES = (ACTIVE, BROKEN, VERIFICATION_EXPIRED, ABSENT)

# -- tariff components and zones -----------------------------------------------------------------

CARRIER = "carrier"            # ГВС: the heat carrier (cold water), руб/m³
HEAT = "heat"                  # ГВС: heat energy, руб/Gcal
HOT_WATER_HEAT_NORM_VARIANT = "heating_hot_water"   # norms row: Gcal to heat 1 m³ of hot water


@dataclasses.dataclass(slots=True, frozen=True)
class ServiceSpec:
    code: str                   # e.g. "cold_water" or a supplier's code
    kind: str                   # cold_water, hot_water, sewage, electricity, gas, heating, waste, common_*, ...
    method: str                 # meter, norm, area, fixed, per_person
    unit: str                   # m3, kWh, Gcal, m2, person, month
    recipient_inn: str = ""
    name: str = ""


@dataclasses.dataclass(slots=True, frozen=True)
class Tariff:
    rate: Decimal                       # up to 6 decimals
    zone: str = ""                      # "", day, night, peak, semi_peak
    component: str = ""                 # "", carrier, heat
    range_from: Decimal = ZERO          # monthly-volume range (electricity 2026): (range_from, range_to]
    range_to: Decimal | None = None     # None: no upper limit
    valid_from: dt.date = EARLIEST
    valid_to: dt.date | None = None     # inclusive; None: open
    variant: str = ""                   # "" for all, else e.g. urban, urban_electric_stove, rural


@dataclasses.dataclass(slots=True, frozen=True)
class Norm:
    value: Decimal
    unit: str = ""                      # m3/person, kWh/person, Gcal/m2, Gcal/m3, m3/m2 (common property)
    variant: str = ""                   # e.g. electric_stove, bath_1500, heating_hot_water
    rooms: int = 0                      # 0 = any; the largest row also covers more rooms
    residents: int = 0                  # 0 = any; the largest row also covers more residents
    valid_from: dt.date = EARLIEST
    valid_to: dt.date | None = None


@dataclasses.dataclass(slots=True, frozen=True)
class MeterPeriod:
    """One past period of a meter (register): what the readings gave and what was billed."""
    period: Period
    volume: Decimal | None              # consumption from real readings received for that period; None = none
    billed: Decimal | None = None       # the volume billed for that period (meter, average or norm)
    method: str = METER                 # how it was billed: meter, average, norm, norm_increased


@dataclasses.dataclass(slots=True, frozen=True)
class MeterState:
    """A meter (or one zone register of a multi-zone meter) as of the period being computed.

    `current` is the consumption from the readings received for this period, counted from the
    last accepted reading (the meters service handles roll-over): after periods without
    readings it covers those periods too. `history` holds the previous periods, oldest first,
    one entry per period and contiguous, ending with the period just before this one; give at
    least the last 6 periods with readings, and the whole life of a meter younger than that.
    """
    meter_id: str
    zone: str = ""
    status: str = ACTIVE                # active, broken, verification_expired, absent
    since: dt.date | None = None        # when the status began (the failure or the end of verification)
    current: Decimal | None = None
    history: tuple[MeterPeriod, ...] = ()
    readings: tuple[Decimal, Decimal] | None = None   # (previous, current) reading, for the explanation only


@dataclasses.dataclass(slots=True, frozen=True)
class Absence:
    """Temporary absence (п.86–91): the departure and the arrival day are not counted."""
    persons: int
    departed_on: dt.date
    returned_on: dt.date
    document: str = ""


@dataclasses.dataclass(slots=True, frozen=True)
class CommonResource:
    """A common-property resource of the house (КР на СОИ) for the period: формулы 10, 12, 15."""
    norm: Decimal                               # N_одн: volume per m² of common area per month
    house_volume: Decimal | None = None         # V_D from the house meter (ОДПУ); None: no house meter
    nonresidential_volume: Decimal = ZERO       # ΣV of non-residential premises
    unmetered_volume: Decimal = ZERO            # ΣV of premises without meters (by norm)
    metered_volume: Decimal = ZERO              # ΣV of premises with meters (incl. averages)
    cap: bool | None = None                     # False: the ОСС decided to distribute above the norm; None: the setting


@dataclasses.dataclass(slots=True, frozen=True)
class HouseInputs:
    total_area: Decimal                         # S_об: all residential and non-residential premises
    common_area: Decimal = ZERO                 # S_ои: common-property rooms
    has_heat_meter: bool = False                # ОДПУ тепла
    heat_meter_gcal: Decimal | None = None      # V_D for heating this period
    heating_from: tuple[int, int] = (10, 1)     # (month, day) the heating season starts
    heating_to: tuple[int, int] = (5, 15)       # (month, day) its last day
    common: Mapping[str, CommonResource] = _no_mapping()  # by service code


@dataclasses.dataclass(slots=True, frozen=True)
class AccountInputs:
    number: str
    period: Period
    total_area: Decimal
    heated_area: Decimal
    residents: int                              # living there, permanent and temporary (n_i)
    registered: int
    rooms: int
    house: HouseInputs
    services: tuple[ServiceSpec, ...]
    tariffs: Mapping[str, tuple[Tariff, ...]]   # by service code (house scope already applied)
    norms: Mapping[str, tuple[Norm, ...]] = _no_mapping()  # by service code
    meters: Mapping[str, tuple[MeterState, ...]] = _no_mapping()  # by service code; several for zones
    absences: tuple[Absence, ...] = ()
    # The days of the period the account is open, when it opens or closes inside the period
    # (None: the whole period).
    open_days: tuple[dt.date, dt.date] | None = None
    meter_installable: bool = True              # False: an act says a meter cannot be installed
    settlement: str = "urban"                   # urban, rural
    electric_stove: bool = False
    norm_variants: Mapping[str, str] = _no_mapping()  # by service code: the norm variant (e.g. bath type)
    tariff_variants: Mapping[str, str] = _no_mapping()  # by service code: overrides the derived variant


# -- output -----------------------------------------------------------------------------------
# The output classes are slotted but not frozen: a frozen dataclass's __init__ sets each field
# through object.__setattr__, about 5 times slower, and the monthly run makes ~10 lines and
# ~10 explanations per account for 1,000,000 accounts. Treat them as read-only all the same.


@dataclasses.dataclass(slots=True)
class ChargeLine:
    service_code: str
    component: str                  # "", carrier, heat
    zone: str                       # "", day, night, ...
    band: str                       # "" or the monthly-volume range, "0–3900"
    method: str                     # meter, average, norm, norm_increased, area, house_meter_share, ...
    volume: Decimal | None
    unit: str
    tariff: Decimal | None
    amount: Decimal                 # rounded to 0.01 ROUND_HALF_UP
    recalculation: bool
    reason: str                     # "" or catch_up, absence
    explanation: Explanation

    def as_dict(self) -> dict:
        return {
            "service_code": self.service_code, "component": self.component, "zone": self.zone, "band": self.band,
            "method": self.method, "method_label": METHOD_LABELS.get(self.method, self.method),
            "volume": None if self.volume is None else str(self.volume), "unit": self.unit,
            "tariff": None if self.tariff is None else str(self.tariff), "amount": str(self.amount),
            "recalculation": self.recalculation, "reason": self.reason, "explanation": self.explanation.as_dict(),
        }


class ChargeError(ValueError):
    """The inputs of an account-period cannot be charged (a missing tariff or norm, bad data)."""

    def __init__(self, account: str, service_code: str, message: str):
        super().__init__(f"account {account}, service {service_code}: {message}")
        self.account = account
        self.service_code = service_code

"""From database rows to the charge engine's `AccountInputs` (pure: rows in, inputs out).

One `Reference` per worker holds what every account shares: the services, tariff and norm
tuples (one per service, or per service and house where a house has its own tariffs), one
`HouseInputs` per house and one `Period` object: the engine memoises by the identity of those
(docs/engine.md, "Share tuples"). Per account only its own numbers, meters and absences are new.

What the database does not have, and what the run assumes instead (docs/monthly-run.md):
- meters: the registers seen in the readings projection (`consumption`) of the last
  HISTORY_MONTHS periods; all `active` (the meters service owns statuses); a register silent
  for more than 3 periods while the account has another register of the same service and
  zone with readings is taken as replaced and left out;
- rooms unknown (NULL): 1, for the norm tables by rooms;
- a house's S_об: `houses.total_area`, else the sum of its open accounts' areas.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accruals.domain.charges import (
    Absence,
    AccountInputs,
    CommonResource,
    HouseInputs,
    MeterPeriod,
    MeterState,
    Norm,
    ServiceSpec,
    Tariff,
)
from accruals.domain.charges.model import COMMON_PREFIX, EMPTY, METER
from accruals.domain.charges.money import ZERO
from gorod_runtime.period import Period

HISTORY_MONTHS = 12          # readings looked at for averages and catch-ups (п.59 needs 6)
REPLACED_AFTER = 3           # periods of silence after which a register with a live sibling is dropped
RS = "\x1e"                  # record separator in the aggregated strings of storage.runs
US = "\x1f"                  # field separator

# The order of services on a receipt (and of the engine's lines): housing first, then utilities.
KIND_ORDER = {"maintenance": 0, "capital_repair": 1, "heating": 2, "hot_water": 3, "cold_water": 4, "sewage": 5,
              "electricity": 6, "gas": 7, "waste": 8}


def months_back(period: Period, count: int) -> Period:
    index = period.year * 12 + period.month - 1 - count
    return Period(index // 12, index % 12 + 1)


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _month_day(text: str, default: tuple[int, int]) -> tuple[int, int]:
    try:
        month, day = text.split("-")
        return int(month), int(day)
    except (AttributeError, ValueError):
        return default


class Reference:
    """What a worker loads once: services, tariffs, norms, houses; and the caches built on them."""

    def __init__(self, period: Period, services, tariffs, norms, houses, house_areas=None):
        self.period = period
        self.first = period.first_day
        self.first_text = self.first.isoformat()
        self.prev = months_back(period, 1)
        self.prev_text = self.prev.first_day.isoformat()
        self.decimals: dict[str, Decimal] = {}
        self.services: dict[str, ServiceSpec] = {}
        self.recipients: dict[str, int] = {}
        self.recipient_inn: dict[str, str] = {}
        for code, name, kind, unit, method, recipient_id, inn in services:
            self.services[code] = ServiceSpec(code, kind, method, unit, inn, name)
            self.recipients[code] = recipient_id
            self.recipient_inn[code] = inn
        region: dict[str, list] = {}
        scoped: dict[str, dict[str, list]] = {}
        for code, scope, variant, zone, component, low, high, valid_from, valid_to, rate in tariffs:
            row = Tariff(Decimal(rate), zone, component, Decimal(low), None if high is None else Decimal(high),
                         _date(valid_from), _date(valid_to), variant)
            (scoped.setdefault(scope, {}) if scope else region).setdefault(code, []).append(row)
        self.region_tariffs = {code: tuple(rows) for code, rows in region.items()}
        # A house with tariffs of its own: those replace the region's for their services.
        self.house_tariffs = {scope: {**self.region_tariffs, **{code: tuple(rows) for code, rows in own.items()}}
                              for scope, own in scoped.items()}
        by_service: dict[str, list] = {}
        for code, variant, rooms, residents, valid_from, valid_to, value, unit in norms:
            by_service.setdefault(code, []).append(Norm(Decimal(value), unit, variant, rooms, residents,
                                                        _date(valid_from), _date(valid_to)))
        self.norms = {code: tuple(rows) for code, rows in by_service.items()}
        self.common_codes = tuple(code for code, spec in self.services.items() if spec.kind.startswith(COMMON_PREFIX))
        areas = house_areas or {}
        self.house_rows = {row[0]: row for row in houses}
        self.house_areas = areas
        self._houses: dict[int, tuple] = {}
        self._house_values: dict[tuple, HouseInputs] = {}
        self._service_sets: dict[str, tuple] = {}
        self._service_sets_by_codes: dict[tuple, tuple] = {}
        self._splits: dict[tuple, tuple] = {}
        self.sewage_sources = ("cold_water", "hot_water")
        self._periods: dict[str, Period] = {}

    # -- shared values ----------------------------------------------------------------------

    def decimal(self, text: str) -> Decimal:
        value = self.decimals.get(text)
        if value is None:
            value = self.decimals[text] = Decimal(text)
        return value

    def period_of(self, text: str) -> Period:
        period = self._periods.get(text)
        if period is None:
            period = self._periods[text] = Period(int(text[:4]), int(text[5:7]))
        return period

    def house(self, house_id: int) -> tuple:
        """(key, HouseInputs, settlement, electric stove, tariffs) of a house, built once.

        Houses equal in everything the engine reads share one HouseInputs (and one key), so the
        worker's memo serves flats of alike houses too. S_об matters only to common-property
        services here (no house heat-meter volumes are known), so it is kept only when there are any."""
        hit = self._houses.get(house_id)
        if hit is not None:
            return hit
        _id, code, settlement, stove, heating_from, heating_to, heat_meter, total_area, common_area = self.house_rows[house_id]
        common = {}
        total = common_area_value = ZERO
        if self.common_codes:
            total = self.decimal(total_area) if total_area is not None else self.decimal(self.house_areas.get(house_id) or "0")
            common_area_value = self.decimal(common_area) if common_area is not None else ZERO
            for service_code in self.common_codes:
                norm = _common_norm(self.norms.get(service_code, ()), self.first)
                if norm is not None:
                    common[service_code] = CommonResource(norm=norm)
        value = (total, common_area_value, bool(heat_meter), _month_day(heating_from, (10, 1)),
                 _month_day(heating_to, (5, 15)), tuple(sorted(common.items())))
        house = self._house_values.get(value)
        if house is None:
            house = self._house_values[value] = HouseInputs(
                total_area=total, common_area=common_area_value, has_heat_meter=bool(heat_meter), heating_from=value[3],
                heating_to=value[4], common=common or EMPTY)
        tariffs = self.house_tariffs.get(code, self.region_tariffs)
        key = (id(house), settlement, bool(stove), id(tariffs))
        hit = self._houses[house_id] = (key, house, settlement, bool(stove), tariffs)
        return hit

    def service_set(self, codes: str) -> tuple[ServiceSpec, ...]:
        """The account's services, from "code,code,..." in any order (codes unknown to `services`
        are left out); one shared tuple per set of services."""
        found = self._service_sets.get(codes)
        if found is None:
            known = tuple(sorted({c for c in codes.split(",") if c in self.services}))
            found = self._service_sets_by_codes.get(known)
            if found is None:
                specs = sorted((self.services[c] for c in known), key=lambda s: (KIND_ORDER.get(s.kind, 9), s.code))
                found = self._service_sets_by_codes[known] = tuple(specs)
            self._service_sets[codes] = found
        return found

    @staticmethod
    def without(codes: str, imported: str) -> str:
        """"code,code,..." less the services a housing company charged itself this period."""
        left_out = set(imported.split(","))
        return ",".join(c for c in codes.split(",") if c not in left_out)

    def split(self, services: tuple[ServiceSpec, ...], metered: frozenset[str]) -> tuple[tuple, tuple]:
        """(services computed without meters, services computed with the account's meters).

        The engine's only link between services is sewage without its own meter, which adds up
        the water services' volumes: when any of them has meters, all of them go together."""
        key = (id(services), metered)
        found = self._splits.get(key)
        if found is None:
            water = {"sewage", *self.sewage_sources}
            linked = any(s.code in metered for s in services if s.kind in water)
            with_meters = tuple(s for s in services if s.code in metered or (linked and s.kind in water))
            found = self._splits[key] = (tuple(s for s in services if s not in with_meters), with_meters)
        return found

    # -- one account ------------------------------------------------------------------------

    def inputs(self, number: str, house: tuple, total: str, heated: str, residents: int, registered: int,
               installable: bool, rooms: int, services: tuple, meters, absences: tuple,
               open_days: tuple[dt.date, dt.date] | None = None) -> AccountInputs:
        _key, house_inputs, settlement, stove, tariffs = house
        return AccountInputs(
            number=number, period=self.period, total_area=self.decimal(total), heated_area=self.decimal(heated),
            residents=residents, registered=registered, rooms=rooms or 1, house=house_inputs, services=services,
            tariffs=tariffs, norms=self.norms, meters=meters, absences=absences, meter_installable=installable,
            settlement=settlement, electric_stove=stove, open_days=open_days)

    def account(self, row: tuple, services: str, readings: str | None, absences: str | None,
                billed: dict | None = None, open_days: str | None = None) -> AccountInputs:
        """All of one account's inputs in one AccountInputs (the worker splits them; tests use this)."""
        number, total_area, heated_area, residents, registered, installable, rooms, house_id = row
        return self.inputs(number, self.house(house_id), total_area, heated_area, residents, registered, installable, rooms,
                           self.service_set(services), self.meters(readings, billed) if readings else EMPTY,
                           self.absences(absences) if absences else (), self.open_days(open_days) if open_days else None)

    @staticmethod
    def open_days(text: str) -> tuple[dt.date, dt.date]:
        """(opened_on, closed_on or date.max) from "opened/closed" (closed may be empty)."""
        opened, _, closed = text.partition("/")
        return dt.date.fromisoformat(opened), dt.date.fromisoformat(closed) if closed else dt.date.max

    def absences(self, text: str) -> tuple[Absence, ...]:
        result = []
        for record in text.split(RS):
            persons, departed, returned, document = (record.split(US, 3) + ["", "", "", ""])[:4]
            result.append(Absence(int(persons), dt.date.fromisoformat(departed), dt.date.fromisoformat(returned), document))
        return tuple(result)

    def meters(self, text: str, billed: dict | None) -> dict[str, tuple[MeterState, ...]]:
        """Registers by service from "service␟meter␟zone␟period␟value␟consumption␞…" (any order)."""
        registers: dict[tuple, list] = {}
        for record in text.split(RS):
            fields = record.split(US)
            if len(fields) == 5:           # consumption NULL: concat_ws leaves it out
                fields.append("")
            service, meter_id, zone, day, value, used = fields
            registers.setdefault((service, meter_id, zone), []).append((day, value, used))
        period = self.period
        first, prev = self.first_text, self.prev_text
        result: dict[str, list] = {}
        for (service, meter_id, zone), rows in registers.items():
            if len(rows) == 2:
                a, b = rows
                if a[0] == first:
                    a, b = b, a
                if a[0] == prev and b[0] == first and a[2] and b[2]:
                    # The usual case: readings this period and the last one.
                    current = Decimal(b[2])
                    total = Decimal(b[1])
                    volume = Decimal(a[2])
                    state = MeterState(meter_id, zone, current=current, history=(MeterPeriod(self.prev, volume, volume, METER),),
                                       readings=(total - current, total))
                    result.setdefault(service, []).append(state)
                    continue
                rows.sort()
            elif len(rows) > 2:
                rows.sort()
            state = self._register(service, meter_id, zone, rows, period, first, billed)
            if state is not None:
                result.setdefault(service, []).append(state)
        if len(result) == 0:
            return EMPTY
        return {service: _without_replaced(states, period) for service, states in result.items()}

    def _register(self, service, meter_id, zone, rows, period, first, billed) -> MeterState | None:
        current = None
        readings = None
        if rows[-1][0] == first:
            _day, value, used = rows.pop()
            if not used:                   # installed this period: nothing to go by yet
                return MeterState(meter_id, zone)
            current = Decimal(used)
            total = Decimal(value)
            readings = (total - current, total)
        # History: from the period after the meter's first reading (or the first in the window),
        # one entry per period up to the one before this, contiguous.
        start = None
        volumes: dict[str, Decimal] = {}
        for day, _value, used in rows:
            if not used:                   # the installation reading: history starts after it
                start = months_back(self.period_of(day), -1)
                volumes.clear()
                continue
            if start is None:
                start = self.period_of(day)
            volumes[day] = Decimal(used)
        if start is None:
            return MeterState(meter_id, zone, current=current, readings=readings)
        history = []
        index = start.year * 12 + start.month - 1
        end = period.year * 12 + period.month - 1
        own = billed.get((service, zone)) if billed else None
        while index < end:
            day = f"{index // 12:04d}-{index % 12 + 1:02d}-01"
            p = self.period_of(day)
            volume = volumes.get(day)
            if volume is not None:
                history.append(MeterPeriod(p, volume, volume, METER))
            else:
                done = own.get(p) if own else None
                history.append(MeterPeriod(p, None, done[1] if done else None, done[0] if done else "average"))
            index += 1
        return MeterState(meter_id, zone, current=current, history=tuple(history), readings=readings)


def may_have_gaps(text: str, first: str, prev: str) -> bool:
    """Whether some register of an account has periods without readings in its window (whose
    billed volumes then matter): anything but exactly the previous and this period's rows."""
    days: dict[tuple, list] = {}
    for record in text.split(RS):
        fields = record.split(US, 4)
        days.setdefault((fields[0], fields[1], fields[2]), []).append(fields[3])
    return any(sorted(found) != [prev, first] for found in days.values())


def _without_replaced(states: list[MeterState], period: Period) -> tuple[MeterState, ...]:
    if len(states) == 1:
        return (states[0],)
    live = {s.zone for s in states if s.current is not None}
    kept = []
    for s in states:
        silent = s.current is None and len(s.history) >= REPLACED_AFTER \
            and all(entry.volume is None for entry in s.history[-REPLACED_AFTER:])
        if silent and s.zone in live:
            continue
        kept.append(s)
    return tuple(kept)


def _common_norm(norms: tuple[Norm, ...], day: dt.date) -> Decimal | None:
    for norm in norms:
        if norm.valid_from <= day and (norm.valid_to is None or norm.valid_to >= day) and not norm.variant:
            return norm.value
    return None

"""Read a scenario document: JSON → schema check → typed, cross-checked inputs.

    scenario = parse_text(text)        # or parse(document) for an already decoded JSON value

Three stages, each reporting every problem it finds with a JSON path and a stable code
(`problems.Problem`), raised together as `ScenarioInvalid`:

1. decoding: not JSON, too large, a duplicate key, NaN/Infinity;
2. the JSON Schema shipped beside this module (`scenario.schema.json`, draft 2020-12) via the
   `jsonschema` package; each failing keyword maps to a code (leaf definitions carry their
   own code in the schema's `x-code` annotation, e.g. scenario.bad_decimal);
3. what a schema cannot say: real dates, periods in 2000..2200, consecutive periods, references
   between parts (a meter's service, a tariff's service …), reading order, settings that the
   rule modules refuse.

The result holds the rule modules' own input types (charges' `Tariff`, `Norm`, `ServiceSpec`,
`Absence`, penalties' `Debt`, `Payment`, the settings dataclasses) plus a few plain records for
what the calculator derives per period (meters and their readings).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from decimal import Decimal
from pathlib import Path

import jsonschema

from accruals.domain import benefits as bn
from accruals.domain import calendar as cal
from accruals.domain import penalties as pn
from accruals.domain import subsidies as sb
from accruals.domain.charges import Absence, EngineSettings, Norm, ServiceSpec, Tariff
from accruals.domain.charges.model import EARLIEST
from gorod_runtime.period import Period

from .problems import Problem, ScenarioInvalid, child, path_of

SCHEMA_FILE = Path(__file__).resolve().parent / "scenario.schema.json"
FORMAT = "gorod.accruals.scenario/1"
MAX_DOCUMENT_BYTES = 1_000_000
MAX_PROBLEMS = 200
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2200, 11, 30)      # periods end at 2200-12; a date's next period must exist



@functools.cache
def schema() -> dict:
    with open(SCHEMA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def _is_integer(_checker, instance) -> bool:
    # JSON Schema counts 1000.0 as an integer; money in kopecks must be a JSON integer.
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    base = jsonschema.Draft202012Validator
    base.check_schema(schema())
    strict = jsonschema.validators.extend(base, type_checker=base.TYPE_CHECKER.redefine("integer", _is_integer))
    return strict(schema())


# -- the parsed scenario ------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class Reading:
    period: Period
    date: dt.date | None
    value: Decimal
    path: str


@dataclasses.dataclass(frozen=True, slots=True)
class HistoryEntry:
    period: Period
    volume: Decimal | None
    billed: Decimal | None
    method: str
    path: str


@dataclasses.dataclass(frozen=True, slots=True)
class Meter:
    id: str
    service: str
    zone: str
    digits: int | None
    installed_on: dt.date | None
    verified_until: dt.date | None
    statuses: tuple[tuple[dt.date, str], ...]
    readings: tuple[Reading, ...]
    history: tuple[HistoryEntry, ...]
    path: str


@dataclasses.dataclass(frozen=True, slots=True)
class CommonVolumes:
    house_volume: Decimal | None
    nonresidential_volume: Decimal
    unmetered_volume: Decimal
    metered_volume: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class PeriodInput:
    period: Period
    path: str
    title: str = ""
    residents: int | None = None
    registered: int | None = None
    meter_installable: bool | None = None
    heat_meter_gcal: Decimal | None = None
    common: dict[str, CommonVolumes] = dataclasses.field(default_factory=dict)
    due_date: dt.date | None = None
    actual_expenses: Decimal | None = None          # roubles


@dataclasses.dataclass(frozen=True, slots=True)
class Account:
    number: str
    address: str
    total_area: Decimal
    heated_area: Decimal
    residents: int
    registered: int
    rooms: int
    meter_installable: bool
    settlement: str
    electric_stove: bool
    norm_variants: dict[str, str]
    tariff_variants: dict[str, str]
    opened_on: dt.date | None = None
    closed_on: dt.date | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class House:
    total_area: Decimal
    common_area: Decimal
    heat_meter: bool
    heating_from: tuple[int, int]
    heating_to: tuple[int, int]
    common: dict[str, tuple[Decimal, bool | None]]   # code → (norm, cap)


@dataclasses.dataclass(frozen=True, slots=True)
class BeneficiaryInput:
    person: bn.Beneficiary
    services: tuple[str, ...] | None                # None: every service with a benefit basis
    from_period: Period | None
    until_period: Period | None


@dataclasses.dataclass(frozen=True, slots=True)
class Benefits:
    family_size: int | None
    beneficiaries: tuple[BeneficiaryInput, ...]
    norm_per_person: dict[str, Decimal]


@dataclasses.dataclass(frozen=True, slots=True)
class Subsidy:
    family_size: int
    standard_cost_per_member: Decimal               # roubles
    family_income: Decimal
    subsistence_minimum: Decimal
    actual_expenses: Decimal | None
    from_period: Period | None
    until_period: Period | None
    notes: tuple[str, ...]                          # how the inputs were derived (averages, tables)


@dataclasses.dataclass(frozen=True, slots=True)
class Penalties:
    calculation_date: dt.date
    since: dt.date | None
    include_periods: bool
    debts: tuple[pn.Debt, ...]
    payments: tuple[pn.Payment, ...]
    key_rates: pn.KeyRateTable | None               # None: the shipped table
    moratoria: tuple[pn.Moratorium, ...] | None     # None: DEFAULT_MORATORIA


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    engine: EngineSettings
    penalties: pn.PenaltySettings
    subsidies: sb.SubsidySettings
    benefits: bn.BenefitSettings
    deadline_day: int


@dataclasses.dataclass(frozen=True, slots=True)
class Scenario:
    title: str
    account: Account
    house: House
    services: tuple[ServiceSpec, ...]
    benefit_basis: dict[str, str]                   # service code → area | volume | none
    tariffs: dict[str, tuple[Tariff, ...]]
    norms: dict[str, tuple[Norm, ...]]
    meters: tuple[Meter, ...]
    absences: tuple[Absence, ...]
    periods: tuple[PeriodInput, ...]
    benefits: Benefits | None
    subsidy: Subsidy | None
    penalties: Penalties | None
    settings: Settings


# -- stage 1: decoding ------------------------------------------------------------------------------

class _Constant(Exception):
    pass


def decode(text: str | bytes) -> object:
    """The JSON value of `text`; decimals stay exact (Decimal), NaN/Infinity and duplicate keys are refused."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise ScenarioInvalid([_too_large(len(text))])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            message = f"the document is not UTF-8 ({exc.reason} at byte {exc.start})"
            raise ScenarioInvalid([Problem("$", "scenario.not_utf8", message)]) from None
    elif len(text.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise ScenarioInvalid([_too_large(len(text.encode("utf-8")))])
    duplicates: list[tuple[int, str]] = []

    def pairs(items):
        result = {}
        for key, value in items:
            if key in result:
                duplicates.append((id(result), key))
            result[key] = value
        return result

    def constant(name):
        raise _Constant(name)

    try:
        value = json.loads(text, parse_float=Decimal, object_pairs_hook=pairs, parse_constant=constant)
    except _Constant as exc:
        raise ScenarioInvalid([Problem("$", "scenario.not_json", f"{exc.args[0]} is not a JSON number")]) from None
    except json.JSONDecodeError as exc:
        raise ScenarioInvalid([Problem("$", "scenario.not_json", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]) \
            from None
    except RecursionError:
        raise ScenarioInvalid([Problem("$", "scenario.not_json", "the document is nested too deeply")]) from None
    if duplicates:
        try:
            where = _object_paths(value)
        except RecursionError:
            where = {}
        raise ScenarioInvalid([Problem(child(where.get(obj, "$"), key), "scenario.duplicate_key",
                                       f"the key {key!r} appears more than once in this object") for obj, key in duplicates])
    return value


def _too_large(size: int) -> Problem:
    return Problem("$", "scenario.too_large", f"the document is larger than {MAX_DOCUMENT_BYTES} bytes ({size} read)")


def _object_paths(value, path: str = "$", found: dict | None = None) -> dict[int, str]:
    found = {} if found is None else found
    if isinstance(value, dict):
        found[id(value)] = path
        for key, item in value.items():
            _object_paths(item, child(path, key), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _object_paths(item, child(path, index), found)
    return found


# -- stage 2: the schema ----------------------------------------------------------------------------

_GENERIC = {
    "type": "scenario.wrong_type", "enum": "scenario.not_allowed", "const": "scenario.not_allowed",
    "minimum": "scenario.out_of_range", "maximum": "scenario.out_of_range", "exclusiveMinimum": "scenario.out_of_range",
    "exclusiveMaximum": "scenario.out_of_range", "minItems": "scenario.bad_size", "maxItems": "scenario.bad_size",
    "minProperties": "scenario.bad_size", "maxProperties": "scenario.bad_size", "uniqueItems": "scenario.duplicate_item",
    "minLength": "scenario.bad_text", "maxLength": "scenario.bad_text", "pattern": "scenario.bad_text",
    "oneOf": "scenario.bad_value", "anyOf": "scenario.bad_value",
}
_STRUCTURAL = ("required", "additionalProperties", "propertyNames", "dependentRequired")


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def schema_problems(document) -> list[Problem]:
    problems: list[Problem] = []
    for error in _validator().iter_errors(document):
        problems.extend(_from_error(error))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _from_error(error: jsonschema.ValidationError) -> list[Problem]:
    parts = list(error.absolute_path)
    path = path_of(parts)
    spec = error.schema if isinstance(error.schema, dict) else {}
    validator = error.validator
    instance = error.instance
    if validator == "required":
        missing = [name for name in error.validator_value if isinstance(instance, dict) and name not in instance]
        return [Problem(child(path, name), "scenario.required", f"{name!r} is required") for name in missing]
    if validator == "additionalProperties":
        known = set(spec.get("properties", {}))
        extra = [key for key in instance if key not in known] if isinstance(instance, dict) else []
        if extra and spec.get("additionalProperties") is False:
            return [Problem(child(path, key), "scenario.unknown_field", f"unknown field {key!r}") for key in extra]
        return [Problem(path, "scenario.bad_value", error.message)]
    code = spec.get("x-code") if validator not in _STRUCTURAL else None
    if code and ("properties" in spec or spec.get("type") == "object"):
        # An object's own code is for its choice between keys, not for its shape.
        if validator not in ("oneOf", "anyOf"):
            code = None
        elif not isinstance(instance, dict):
            return []                   # not an object at all: its type error says so
    if code:
        message = spec.get("x-message")
        if not message:
            described = spec.get("description", "").rstrip(".")
            if isinstance(instance, (int, float, Decimal)) and not isinstance(instance, bool) and code == "scenario.bad_decimal":
                described += " (decimals are JSON strings: write \"36.47\", not 36.47)"
            message = f"expected {described[:1].lower() + described[1:]}; got {_shown(instance)}" if described \
                else f"not allowed: {_shown(instance)}"
        return [Problem(path, code, message)]
    if validator == "enum":
        return [Problem(path, "scenario.not_allowed",
                        "expected one of " + ", ".join(_shown(v) for v in error.validator_value) + f"; got {_shown(instance)}")]
    if validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        return [Problem(path, "scenario.wrong_type", f"expected {wanted}; got {_shown(instance)}")]
    return [Problem(path, _GENERIC.get(validator, "scenario.bad_value"), error.message)]


# -- stage 3: meaning ----------------------------------------------------------------------------------

class _Reader:
    """Turns the schema-valid document into typed inputs, collecting problems."""

    def __init__(self):
        self.problems: list[Problem] = []

    def problem(self, path: str, code: str, message: str) -> None:
        self.problems.append(Problem(path, code, message))

    # scalars (their shapes are already checked by the schema)

    def date(self, value, path: str) -> dt.date | None:
        if value is None:
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.problem(path, "scenario.bad_date", f"{value!r} is not a calendar date")
            return None
        if not FIRST_DAY <= day <= LAST_DAY:
            self.problem(path, "scenario.bad_date", f"{value} is outside {FIRST_DAY.year}..{LAST_DAY.year}")
            return None
        return day

    def period(self, value, path: str) -> Period | None:
        if value is None:
            return None
        try:
            return Period.parse(value)
        except ValueError:
            self.problem(path, "scenario.bad_period", f"{value!r} is not a period in 2000..2200")
            return None

    @staticmethod
    def dec(value) -> Decimal | None:
        return None if value is None else Decimal(value)

    @staticmethod
    def roubles(kopecks) -> Decimal | None:
        return None if kopecks is None else Decimal(int(kopecks)).scaleb(-2)

    def known(self, code: str, codes, path: str, what: str = "service") -> bool:
        if code not in codes:
            self.problem(path, "scenario.unknown_service" if what == "service" else "scenario.unknown_reference",
                         f"no {what} {code!r} in this scenario")
            return False
        return True


def parse_text(text: str | bytes) -> Scenario:
    return parse(decode(text))


def parse(document) -> Scenario:
    """A scenario from a decoded JSON value (use `decode`, or json.loads with parse_float=Decimal)."""
    problems = schema_problems(document)
    if problems:
        raise ScenarioInvalid(problems)
    reader = _Reader()
    scenario = _read(reader, document)
    if reader.problems:
        raise ScenarioInvalid(reader.problems)
    return scenario


def _read(r: _Reader, doc: dict) -> Scenario:
    settings = _settings(r, doc.get("settings", {}))
    account = _account(r, doc["account"])
    services, basis = _services(r, doc.get("services", []))
    codes = {s.code for s in services}
    for key in ("norm_variants", "tariff_variants"):
        for code in doc["account"].get(key, {}):
            r.known(code, codes, child("$.account", key, code))
    house = _house(r, doc.get("house", {}), codes)
    tariffs = {code: tuple(_tariff(r, row, child("$.tariffs", code, i)) for i, row in enumerate(rows))
               for code, rows in doc.get("tariffs", {}).items() if r.known(code, codes, child("$.tariffs", code))}
    norms = {code: tuple(_norm(r, row, child("$.norms", code, i)) for i, row in enumerate(rows))
             for code, rows in doc.get("norms", {}).items() if r.known(code, codes, child("$.norms", code))}
    periods = _periods(r, doc.get("periods", []), house)
    first = periods[0].period if periods else None
    meters = _meters(r, doc.get("meters", []), codes, first, settings.deadline_day)
    absences = tuple(_absence(r, item, child("$.absences", i)) for i, item in enumerate(doc.get("absences", [])))
    benefits = _benefits(r, doc["benefits"], codes) if "benefits" in doc else None
    subsidy = _subsidy(r, doc["subsidy"]) if "subsidy" in doc else None
    penalties = _penalties(r, doc["penalties"], {p.period for p in periods}) if "penalties" in doc else None
    return Scenario(title=doc.get("title", ""), account=account, house=house, services=services, benefit_basis=basis,
                    tariffs=tariffs, norms=norms, meters=meters, absences=tuple(a for a in absences if a is not None),
                    periods=periods, benefits=benefits, subsidy=subsidy, penalties=penalties, settings=settings)


def _account(r: _Reader, a: dict) -> Account:
    total = r.dec(a["total_area"])
    residents = a["residents"]
    return Account(number=a["number"], address=a.get("address", ""), total_area=total,
                   heated_area=r.dec(a.get("heated_area")) if "heated_area" in a else total, residents=residents,
                   registered=a.get("registered", residents), rooms=a.get("rooms", 1),
                   meter_installable=a.get("meter_installable", True), settlement=a.get("settlement", "urban"),
                   electric_stove=a.get("electric_stove", False), norm_variants=dict(a.get("norm_variants", {})),
                   tariff_variants=dict(a.get("tariff_variants", {})),
                   opened_on=r.date(a.get("opened_on"), "$.account.opened_on"),
                   closed_on=r.date(a.get("closed_on"), "$.account.closed_on"))


def _services(r: _Reader, items: list) -> tuple[tuple[ServiceSpec, ...], dict[str, str]]:
    services, basis, seen = [], {}, set()
    for i, s in enumerate(items):
        code = s["code"]
        if code in seen:
            r.problem(child("$.services", i, "code"), "scenario.duplicate_code", f"service {code!r} is listed twice")
            continue
        seen.add(code)
        services.append(ServiceSpec(code, s["kind"], s["method"], s["unit"], s.get("recipient_inn", ""), s.get("name", "")))
        basis[code] = s.get("benefit_basis") or bn.benefit_basis(s["kind"], s["method"])
    return tuple(services), basis


def _month_day(r: _Reader, text: str, path: str) -> tuple[int, int]:
    month, day = int(text[:2]), int(text[3:])
    try:
        dt.date(2001, month, day)           # not a leap year: 02-29 is not a day of every year
    except ValueError:
        r.problem(path, "scenario.bad_date", f"{text!r} is not a day of every year")
        return (1, 1)
    return month, day


def _house(r: _Reader, h: dict, codes) -> House:
    season = h.get("heating_season")
    start = _month_day(r, season["from"], "$.house.heating_season.from") if season else (10, 1)
    end = _month_day(r, season["to"], "$.house.heating_season.to") if season else (5, 15)
    common = {}
    for code, item in h.get("common", {}).items():
        if r.known(code, codes, child("$.house.common", code)):
            common[code] = (r.dec(item["norm"]), item.get("cap"))
    return House(total_area=r.dec(h.get("total_area", "0")), common_area=r.dec(h.get("common_area", "0")),
                 heat_meter=h.get("heat_meter", False), heating_from=start, heating_to=end, common=common)


def _validity(r: _Reader, row: dict, path: str) -> tuple[dt.date, dt.date | None]:
    start = r.date(row.get("valid_from"), child(path, "valid_from")) or EARLIEST
    end = r.date(row.get("valid_to"), child(path, "valid_to"))
    if end is not None and end < start:
        r.problem(child(path, "valid_to"), "scenario.bad_validity", f"valid_to {end} is before valid_from {start}")
    return start, end


def _tariff(r: _Reader, row: dict, path: str) -> Tariff:
    start, end = _validity(r, row, path)
    low = r.dec(row.get("range_from", "0"))
    high = r.dec(row.get("range_to"))
    if high is not None and high <= low:
        r.problem(child(path, "range_to"), "scenario.bad_range", f"range_to {high} is not above range_from {low}")
    return Tariff(r.dec(row["rate"]), row.get("zone", ""), row.get("component", ""), low, high, start, end, row.get("variant", ""))


def _norm(r: _Reader, row: dict, path: str) -> Norm:
    start, end = _validity(r, row, path)
    return Norm(r.dec(row["value"]), row.get("unit", ""), row.get("variant", ""), row.get("rooms", 0), row.get("residents", 0),
                start, end)


def _periods(r: _Reader, items: list, house: House) -> tuple[PeriodInput, ...]:
    result: list[PeriodInput] = []
    for i, p in enumerate(items):
        path = child("$.periods", i)
        period = r.period(p["period"], child(path, "period"))
        if period is None:
            continue
        if result and (result[-1].period.year, result[-1].period.month) != _before(period):
            r.problem(child(path, "period"), "scenario.periods_not_consecutive",
                      f"{period} does not follow {result[-1].period}: periods are ascending and consecutive")
        common = {}
        for code, item in p.get("common", {}).items():
            if code not in house.common:
                r.problem(child(path, "common", code), "scenario.unknown_reference",
                          f"house.common has no resource {code!r} (its norm and cap go there)")
                continue
            common[code] = CommonVolumes(r.dec(item.get("house_volume")), r.dec(item.get("nonresidential_volume", "0")),
                                         r.dec(item.get("unmetered_volume", "0")), r.dec(item.get("metered_volume", "0")))
        result.append(PeriodInput(
            period=period, path=path, title=p.get("title", ""), residents=p.get("residents"), registered=p.get("registered"),
            meter_installable=p.get("meter_installable"), heat_meter_gcal=r.dec(p.get("heat_meter_gcal")), common=common,
            due_date=r.date(p.get("due_date"), child(path, "due_date")), actual_expenses=r.roubles(p.get("actual_expenses_kopecks"))))
    return tuple(result)


def _before(period: Period) -> tuple[int, int]:
    return (period.year - 1, 12) if period.month == 1 else (period.year, period.month - 1)


def reading_period(day: dt.date, deadline_day: int) -> Period:
    """The period a reading received on `day` counts for: that month up to the deadline day, else the next."""
    period = Period.of_date(day)
    return period if day.day <= deadline_day else period.next()


def _meters(r: _Reader, items: list, codes, first: Period | None, deadline_day: int) -> tuple[Meter, ...]:
    meters, ids = [], set()
    for i, m in enumerate(items):
        path = child("$.meters", i)
        if m["id"] in ids:
            r.problem(child(path, "id"), "scenario.duplicate_id", f"meter {m['id']!r} is listed twice")
        ids.add(m["id"])
        r.known(m["service"], codes, child(path, "service"))
        digits = m.get("digits")
        statuses = []
        for j, s in enumerate(m.get("statuses", [])):
            day = r.date(s["from"], child(path, "statuses", j, "from"))
            if day is None:
                continue
            if statuses and day < statuses[-1][0]:
                r.problem(child(path, "statuses", j, "from"), "scenario.out_of_order", "status changes must be in date order")
            statuses.append((day, s["status"]))
        readings: list[Reading] = []
        for j, item in enumerate(m.get("readings", [])):
            rpath = child(path, "readings", j)
            day = r.date(item.get("date"), child(rpath, "date"))
            period = r.period(item["period"], child(rpath, "period")) if "period" in item else (
                reading_period(day, deadline_day) if day else None)
            if period is None:
                continue
            value = r.dec(item["value"])
            if digits is not None and value >= Decimal(10) ** digits:
                r.problem(child(rpath, "value"), "scenario.reading_too_large", f"{value} does not fit a meter of {digits} digits")
            if readings:
                last = readings[-1]
                if period < last.period or (period == last.period and day and last.date and day < last.date):
                    r.problem(rpath, "scenario.out_of_order", "readings must be in chronological order")
                elif value < last.value and digits is None:
                    r.problem(child(rpath, "value"), "scenario.reading_decreased",
                              f"{value} is below the previous reading {last.value}; give the meter's digits for a roll-over")
            readings.append(Reading(period, day, value, rpath))
        history: list[HistoryEntry] = []
        for j, item in enumerate(m.get("history", [])):
            hpath = child(path, "history", j)
            period = r.period(item["period"], child(hpath, "period"))
            if period is None:
                continue
            if first is not None and period >= first:
                r.problem(child(hpath, "period"), "scenario.history_in_calculated_period",
                          f"history is for periods before the first calculated period ({first}); {period} is calculated here")
            if history and period <= history[-1].period:
                r.problem(child(hpath, "period"), "scenario.out_of_order", "history periods must be ascending, each once")
            volume = r.dec(item.get("volume"))
            billed = r.dec(item["billed"]) if "billed" in item else volume
            history.append(HistoryEntry(period, volume, billed, item.get("method", "meter" if volume is not None else "average"),
                                        hpath))
        meters.append(Meter(m["id"], m["service"], m.get("zone", ""), digits,
                            r.date(m.get("installed_on"), child(path, "installed_on")),
                            r.date(m.get("verified_until"), child(path, "verified_until")),
                            tuple(statuses), tuple(readings), tuple(history), path))
    return tuple(meters)


def _absence(r: _Reader, a: dict, path: str) -> Absence | None:
    departed = r.date(a["departed_on"], child(path, "departed_on"))
    returned = r.date(a["returned_on"], child(path, "returned_on"))
    if departed is None or returned is None:
        return None
    if returned < departed:
        r.problem(child(path, "returned_on"), "scenario.bad_absence", f"returned_on {returned} is before departed_on {departed}")
        return None
    return Absence(a["persons"], departed, returned, a.get("document", ""))


def _benefits(r: _Reader, b: dict, codes) -> Benefits:
    people, ids = [], set()
    for i, item in enumerate(b["beneficiaries"]):
        path = child("$.benefits.beneficiaries", i)
        if item["id"] in ids:
            r.problem(child(path, "id"), "scenario.duplicate_id", f"beneficiary {item['id']!r} is listed twice")
        ids.add(item["id"])
        services = item.get("services")
        if services is not None:
            for j, code in enumerate(services):
                r.known(code, codes, child(path, "services", j))
        start = r.period(item.get("from_period"), child(path, "from_period"))
        end = r.period(item.get("until_period"), child(path, "until_period"))
        if start and end and end < start:
            r.problem(child(path, "until_period"), "scenario.bad_validity", "until_period is before from_period")
        people.append(BeneficiaryInput(bn.Beneficiary(item["id"], r.dec(item["pct"]), item.get("category", ""), item.get("mode")),
                                       tuple(services) if services is not None else None, start, end))
    norms = {}
    for code, value in b.get("norm_per_person", {}).items():
        if r.known(code, codes, child("$.benefits.norm_per_person", code)):
            norms[code] = r.dec(value)
    return Benefits(b.get("family_size"), tuple(people), norms)


def _subsidy(r: _Reader, s: dict) -> Subsidy:
    n = s["family_size"]
    notes = []
    if "standard_costs_kopecks" in s:
        table = {int(size): r.roubles(value) for size, value in s["standard_costs_kopecks"].items()}
        try:
            per_member = sb.standard_cost_per_member(table, n)
        except ValueError as exc:
            r.problem("$.subsidy.standard_costs_kopecks", "scenario.bad_table", str(exc))
            per_member = Decimal(0)
        notes.append(f"РСС на члена семьи из таблицы по размеру семьи ({min(n, max(table))}): {per_member}")
    else:
        per_member = r.roubles(s["standard_cost_per_member_kopecks"])
    if "monthly_incomes_kopecks" in s:
        income = sb.average_monthly_income([r.roubles(v) for v in s["monthly_incomes_kopecks"]])
        notes.append(f"Д — среднемесячный доход за 6 месяцев: {income}")
    else:
        income = r.roubles(s["family_income_kopecks"])
    if "member_minimums_kopecks" in s:
        minimums = s["member_minimums_kopecks"]
        if len(minimums) != n:
            r.problem("$.subsidy.member_minimums_kopecks", "scenario.bad_size",
                      f"{len(minimums)} minimums for a family of {n}: give one per member")
        minimum = sb.family_subsistence_minimum([r.roubles(v) for v in minimums])
        notes.append(f"ПМ на душу — среднее ПМ членов семьи: {minimum}")
    else:
        minimum = r.roubles(s["subsistence_minimum_kopecks"])
    start = r.period(s.get("from_period"), "$.subsidy.from_period")
    end = r.period(s.get("until_period"), "$.subsidy.until_period")
    if start and end and end < start:
        r.problem("$.subsidy.until_period", "scenario.bad_validity", "until_period is before from_period")
    return Subsidy(n, per_member, income, minimum, r.roubles(s.get("actual_expenses_kopecks")), start, end, tuple(notes))


def _penalties(r: _Reader, p: dict, calculated: set[Period]) -> Penalties:
    include = p.get("include_periods", True)
    calc_date = r.date(p["calculation_date"], "$.penalties.calculation_date") or dt.date.max
    since = r.date(p.get("since"), "$.penalties.since")
    if since and since > calc_date:
        r.problem("$.penalties.since", "scenario.bad_since", f"since {since} is after the calculation date {calc_date}")
    debts, seen = [], set()
    for i, d in enumerate(p.get("debts", [])):
        path = child("$.penalties.debts", i)
        period = r.period(d["period"], child(path, "period"))
        if period is None:
            continue
        if period in seen:
            r.problem(child(path, "period"), "scenario.duplicate_period", f"a debt for {period} is listed twice")
        if include and period in calculated:
            r.problem(child(path, "period"), "scenario.debt_for_calculated_period",
                      f"{period} is calculated here and its total is already a debt (or set include_periods to false)")
        seen.add(period)
        debts.append(pn.Debt(period, r.roubles(d["amount_kopecks"]), r.date(d.get("due"), child(path, "due"))))
    payments = []
    for i, item in enumerate(p.get("payments", [])):
        path = child("$.penalties.payments", i)
        day = r.date(item["date"], child(path, "date"))
        period = r.period(item.get("period"), child(path, "period"))
        if day is not None:
            payments.append(pn.Payment(day, r.roubles(item["amount_kopecks"]), period))
    table = None
    if "key_rates" in p:
        rows = []
        for i, item in enumerate(p["key_rates"]):
            day = r.date(item["from"], child("$.penalties.key_rates", i, "from"))
            if day is not None:
                rows.append((day, r.dec(item["pct"])))
        try:
            table = pn.KeyRateTable(rows)
        except ValueError as exc:
            r.problem("$.penalties.key_rates", "scenario.bad_key_rates", str(exc))
    moratoria = None
    if "moratoria" in p:
        moratoria = []
        for i, item in enumerate(p["moratoria"]):
            path = child("$.penalties.moratoria", i)
            start, end = r.date(item["from"], child(path, "from")), r.date(item["to"], child(path, "to"))
            if start and end:
                if end < start:
                    r.problem(child(path, "to"), "scenario.bad_moratorium", f"the moratorium ends ({end}) before it starts ({start})")
                else:
                    moratoria.append(pn.Moratorium(start, end, item.get("act", "")))
        moratoria = tuple(moratoria)
    return Penalties(calc_date, since, include, tuple(debts), tuple(payments), table, moratoria)


# -- settings ---------------------------------------------------------------------------------------

_ENGINE_DECIMALS = ("increased_norm_k", "average_quantum", "hot_water_heat_norm", "share_quantum", "split_quantum")
_ENGINE_QUANTA = ("average_quantum", "share_quantum", "split_quantum")
_ENGINE_SETS = ("increased_norm_kinds", "absence_kinds", "absence_any_meter_kinds", "part_period_methods")


def _settings(r: _Reader, s: dict) -> Settings:
    return Settings(engine=_engine_settings(r, s.get("engine", {})), penalties=_penalty_settings(r, s.get("penalties", {})),
                    subsidies=_built(r, sb.SubsidySettings, sb.DEFAULT_SETTINGS, {
                        key: (r.dec(value) if key == "max_share_pct" else value) for key, value in s.get("subsidies", {}).items()},
                        "$.settings.subsidies"),
                    benefits=_built(r, bn.BenefitSettings, bn.DEFAULT_SETTINGS, {
                        key: (r.dec(value) if key.startswith("norm_") else value) for key, value in s.get("benefits", {}).items()},
                        "$.settings.benefits"),
                    deadline_day=s.get("readings", {}).get("deadline_day", 25))


def _built(r: _Reader, cls, default, values: dict, path: str):
    try:
        return dataclasses.replace(default, **values) if values else default
    except (ValueError, TypeError) as exc:
        r.problem(path, "scenario.bad_setting", str(exc))
        return default


def _engine_settings(r: _Reader, s: dict) -> EngineSettings:
    values = {}
    for key, value in s.items():
        if key in _ENGINE_DECIMALS:
            value = Decimal(value)
            if key in _ENGINE_QUANTA and value <= 0:
                r.problem(child("$.settings.engine", key), "scenario.bad_setting", f"{key} must be positive")
                continue
        elif key in _ENGINE_SETS:
            value = frozenset(value)
        elif key == "sewage_source_kinds":
            value = tuple(value)
        values[key] = value
    return _built(r, EngineSettings, EngineSettings(), values, "$.settings.engine")


def _penalty_settings(r: _Reader, s: dict) -> pn.PenaltySettings:
    values = {}
    path = "$.settings.penalties"
    for key, value in s.items():
        if key in ("decree_days_non_working", "calendar_years"):
            continue
        if key == "switch_period":
            value = r.period(value, child(path, key))
        elif key in ("cap_from", "cap_until"):
            value = r.date(value, child(path, key))
        elif key == "cap_pct":
            value = Decimal(value)
        if value is None and key != "time_barred_years":
            continue
        values[key] = value
    if "calendar_years" in s or s.get("decree_days_non_working"):
        values["calendar"] = _calendar(r, s.get("calendar_years", {}), s.get("decree_days_non_working", False))
    return _built(r, pn.PenaltySettings, pn.DEFAULT_SETTINGS, values, path)


def _calendar(r: _Reader, years: dict, decree: bool) -> cal.WorkingCalendar | None:
    with open(cal.DATA_FILE, encoding="utf-8") as handle:
        data = json.load(handle)
    for year, entry in years.items():
        path = child("$.settings.penalties.calendar_years", year)
        for key in ("holidays", "days_off", "working_days"):
            for i, value in enumerate(entry.get(key, [])):
                r.date(value, child(path, key, i))
        data["years"][year] = {"status": "scenario", **entry}
    try:
        return cal.WorkingCalendar.from_data(data, decree_days_non_working=decree)
    except (ValueError, KeyError) as exc:
        r.problem("$.settings.penalties.calendar_years", "scenario.bad_calendar", str(exc))
        return None

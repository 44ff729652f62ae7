"""What each kind of import file holds, and how one row of it is checked (pure Python).

Each `Kind` (the kit's `gorod_runtime.imports.rows`) lists its fields (the column names of a
CSV header, the keys of a JSON object) and turns one row into the tuple that is staged for the
database, reporting every problem of the row with its field and a stable code. Checks that
need the database's reference data use a `References` snapshot loaded before the file is read
(organisations and services: small tables); checks that need the whole file or large tables
(duplicates, unknown accounts, overlapping tariffs) are set-based SQL in `merge`.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from gorod_runtime.imports import fields as f
from gorod_runtime.imports.rows import CACHE_SIZE, Field, Kind, RowProblems

ORGANISATION_KINDS = ("management_company", "supplier", "recipient", "settlement_centre")
METHODS = ("meter", "norm", "area", "fixed", "per_person")
SETTLEMENTS = ("urban", "rural")
HOUSE_TYPES = ("apartment_building", "private_house", "dormitory")
PREMISE_KINDS = ("residential", "non_residential")
ZONES = ("", "day", "night", "peak", "semi_peak")
COMPONENTS = ("", "carrier", "heat")


@dataclasses.dataclass
class References:
    """Reference data the rows point at, read from the database before the file."""

    organisations: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)  # (inn, kpp) -> id
    organisation_kinds: dict[int, str] = dataclasses.field(default_factory=dict)          # id -> kind
    services: dict[str, int] = dataclasses.field(default_factory=dict)                    # code -> recipient id

    def __post_init__(self):
        self._by_inn: dict[str, int] | None = None
        self._companies: dict[str, int] | None = None

    def organisation_by_inn(self, inn: str) -> int | None:
        """The organisation with this INN: of several (branches), the one with the lowest KPP."""
        if self._by_inn is None:
            self._by_inn = {}
            for (org_inn, _kpp), org_id in sorted(self.organisations.items()):
                self._by_inn.setdefault(org_inn, org_id)
        return self._by_inn.get(inn)

    def management_company(self, inn: str) -> int | None:
        """As `organisation_by_inn`, preferring one of kind management_company."""
        if self._companies is None:
            self._companies = {}
            for (org_inn, _kpp), org_id in sorted(self.organisations.items()):
                if self.organisation_kinds.get(org_id) == "management_company":
                    self._companies.setdefault(org_inn, org_id)
        return self._companies.get(inn) or self.organisation_by_inn(inn)



# -- kinds -----------------------------------------------------------------------------------

def _service(code: str, row: RowProblems, refs: References, field: str = "service_code") -> int | None:
    recipient = refs.services.get(code)
    if recipient is None:
        row.add(field, "import.unknown_service", f"no service with code {code!r}")
    return recipient


def _interval(valid_from: str, valid_to: str | None, row: RowProblems) -> None:
    if valid_to is not None and valid_to < valid_from:
        row.add("valid_to", "import.bad_interval", f"{valid_to} is before valid_from {valid_from}")


class Organisations(Kind):
    name = "organisations"
    key = ("inn", "kpp")
    fields = (
        Field("inn", f.inn, required=True),
        Field("kpp", f.kpp, default=""),
        Field("name", f.text(500), required=True),
        Field("kind", f.choice(*ORGANISATION_KINDS), required=True),
        Field("bank_account", f.bank_account, default=""),
        Field("bank_name", f.text(300), default=""),
        Field("bic", f.bic, default=""),
        Field("corr_account", f.corr_account, default=""),
    )

    def finish(self, v, row, refs, state):
        inn, kpp, name, kind, bank_account, bank_name, bic, corr_account = v
        bank = {"bank_account": bank_account, "bic": bic, "corr_account": corr_account}
        if any(bank.values()) and not all(bank.values()):
            for field, value in bank.items():
                if not value:
                    row.add(field, "import.required", "bank_account, bic and corr_account go together")
            return None
        return (inn, kpp, name, kind, bank_account, bank_name, bic, corr_account)


class Services(Kind):
    name = "services"
    key = ("code",)
    fields = (
        Field("code", f.code, required=True),
        Field("name", f.text(300), required=True),
        Field("kind", f.identifier, required=True),
        Field("unit", f.text(32), required=True),
        Field("method", f.choice(*METHODS), required=True),
        Field("recipient_inn", f.inn, required=True),
        Field("recipient_kpp", f.kpp, default=""),
    )

    def finish(self, v, row, refs, state):
        code, name, kind, unit, method, recipient_inn, recipient_kpp = v
        recipient = refs.organisations.get((recipient_inn, recipient_kpp))
        if recipient is None:
            row.add("recipient_inn", "import.unknown_organisation",
                    f"no organisation with INN {recipient_inn} and KPP {recipient_kpp!r}")
            return None
        return (code, name, kind, unit, method, recipient)


HOUSE_FIELDS = ("address", "settlement", "house_type", "electric_stove", "management_company_inn")


@dataclasses.dataclass
class AccountsState:
    houses: dict = dataclasses.field(default_factory=dict)      # house code -> (attributes, first line)
    services: dict = dataclasses.field(default_factory=dict)    # a `services` value -> (codes, unknown code)


class Accounts(Kind):
    """One personal account per row, with its premise and house; the house's attributes must be
    the same on every row of the same house code."""

    name = "accounts"
    key = ("account",)
    list_columns = ("services",)
    fields = (
        Field("account", f.account_number, required=True),
        Field("els", f.els),
        Field("house_code", f.text(100), required=True, cache=True),
        Field("address", f.text(500), required=True, cache=True),
        Field("settlement", f.choice(*SETTLEMENTS), default="urban", cache=True),
        Field("house_type", f.choice(*HOUSE_TYPES), default="apartment_building", cache=True),
        Field("electric_stove", f.boolean, default=False, cache=True),
        Field("flat", f.text(20), default="", cache=True),
        Field("premise_kind", f.choice(*PREMISE_KINDS), default="residential", cache=True),
        Field("rooms", f.integer(0, 50, "import.bad_rooms", "rooms"), cache=True),
        Field("total_area", f.decimal(2, int_digits=6, positive=True, code="import.bad_area", what="an area"),
              required=True, cache=True),
        Field("heated_area", f.decimal(2, int_digits=6, minimum=0, code="import.bad_area", what="an area"), cache=True),
        Field("living_area", f.decimal(2, int_digits=6, minimum=0, code="import.bad_area", what="an area"), cache=True),
        Field("residents", f.integer(0, 999, "import.bad_residents", "residents"), required=True, cache=True),
        Field("registered", f.integer(0, 999, "import.bad_residents", "registered persons"), required=True, cache=True),
        Field("owner_name", f.text(300), required=True),
        Field("opened_on", f.date, required=True, cache=True),
        Field("closed_on", f.date, cache=True),
        Field("meter_installable", f.boolean, default=True, cache=True),
        Field("management_company_inn", f.inn, cache=True),
        Field("services", f.text(4000), default="", cache=True),
    )

    def new_state(self):
        return AccountsState()

    def merge_state(self, state, later):
        for code, seen_later in later.houses.items():
            seen = state.houses.setdefault(code, seen_later)
            if seen[0] != seen_later[0]:
                return False
        return True

    def _services(self, value: str, refs: References, state: AccountsState) -> tuple[list[str], str | None]:
        known = state.services.get(value)
        if known is None:
            codes: list[str] = []
            unknown = None
            for code in value.split(","):
                code = code.strip()
                if code and code not in codes:
                    codes.append(code)
                    if unknown is None and code not in refs.services:
                        unknown = code
            known = (codes, unknown)
            if len(state.services) < CACHE_SIZE:
                state.services[value] = known
        return known

    def finish(self, v, row, refs, state):
        (account, els, house_code, address, settlement, house_type, electric_stove, flat, premise_kind, rooms, total,
         heated, living, residents, registered, owner_name, opened_on, closed_on, meter_installable, company_inn,
         services) = v
        if heated is None:
            heated = total
        elif heated != total and float(heated) > float(total):
            row.add("heated_area", "import.bad_area", f"{heated} is more than total_area {total}")
        if living is not None and float(living) > float(total):
            row.add("living_area", "import.bad_area", f"{living} is more than total_area {total}")
        if closed_on is not None and closed_on < opened_on:
            row.add("closed_on", "import.bad_date", f"{closed_on} is before opened_on {opened_on}")
        company = None
        if company_inn is not None:
            company = refs.management_company(company_inn)
            if company is None:
                row.add("management_company_inn", "import.unknown_organisation", f"no organisation with INN {company_inn}")
        codes: list[str] = []
        if services:
            codes, unknown = self._services(services, refs, state)
            if unknown is not None:
                row.add("services", "import.unknown_service", f"no service with code {unknown[:64]!r}")
        house = (address, settlement, house_type, electric_stove, company)
        seen = state.houses.get(house_code)
        if seen is None:
            if not row.bad:
                state.houses[house_code] = (house, row.line)
        elif seen[0] != house:
            differing = next(name for name, a, b in zip(HOUSE_FIELDS, seen[0], house, strict=True) if a != b)
            row.add(differing, "import.conflicting_house", f"house {house_code[:100]!r} is described differently on line {seen[1]}")
        if row.bad:
            return None
        return (account, els, house_code, flat, premise_kind, rooms, total, heated, living, residents, registered, owner_name,
                "closed" if closed_on else "open", opened_on, closed_on, meter_installable, codes)


class Tariffs(Kind):
    name = "tariffs"
    key = ("service_code", "scope", "variant", "zone", "component", "range_from", "valid_from")
    fields = (
        Field("service_code", f.code, required=True),
        Field("scope", f.text(100), default=""),
        Field("variant", f.code, default=""),
        Field("zone", f.choice(*ZONES), default=""),
        Field("component", f.choice(*COMPONENTS), default=""),
        Field("range_from", f.decimal(6, minimum=0, code="import.bad_range", what="a volume"), default="0"),
        Field("range_to", f.decimal(6, minimum=0, code="import.bad_range", what="a volume")),
        Field("valid_from", f.date, required=True),
        Field("valid_to", f.date),
        Field("rate", f.decimal(6, int_digits=12, minimum=0, code="import.bad_rate", what="a rate"), required=True),
    )

    def finish(self, v, row, refs, state):
        service_code, scope, variant, zone, component, range_from, range_to, valid_from, valid_to, rate = v
        _service(service_code, row, refs)
        _interval(valid_from, valid_to, row)
        if range_to is not None and Decimal(range_to) <= Decimal(range_from):
            row.add("range_to", "import.bad_range", f"{range_to} is not above range_from {range_from}")
        return (service_code, scope, variant, zone, component, range_from, range_to, valid_from, valid_to, rate)


class Norms(Kind):
    name = "norms"
    key = ("service_code", "variant", "rooms", "residents", "valid_from")
    fields = (
        Field("service_code", f.code, required=True),
        Field("variant", f.code, default=""),
        Field("rooms", f.integer(0, 50, "import.bad_rooms", "rooms"), default=0),
        Field("residents", f.integer(0, 999, "import.bad_residents", "residents"), default=0),
        Field("valid_from", f.date, required=True),
        Field("valid_to", f.date),
        Field("value", f.decimal(12, minimum=0, code="import.bad_decimal", what="a norm"), required=True),
        Field("unit", f.text(32), required=True),
    )

    def finish(self, v, row, refs, state):
        service_code, variant, rooms, residents, valid_from, valid_to, value, unit = v
        _service(service_code, row, refs)
        _interval(valid_from, valid_to, row)
        return (service_code, variant, rooms, residents, valid_from, valid_to, value, unit)


# Ledger kinds stage the same columns:
# account, recipient_id, service_code, entry_date, period, amount_kopecks, reason, reference.

class OpeningBalances(Kind):
    name = "opening_balances"
    key = ("account", "recipient_inn")
    fields = (
        Field("account", f.account_number, required=True),
        Field("recipient_inn", f.inn, required=True, cache=True),
        Field("date", f.date, required=True, cache=True),
        Field("amount_kopecks", f.kopecks, required=True),
    )

    def finish(self, v, row, refs, state):
        account, recipient_inn, date, amount = v
        recipient = refs.organisation_by_inn(recipient_inn)
        if recipient is None:
            row.add("recipient_inn", "import.unknown_organisation", f"no organisation with INN {recipient_inn}")
            return None
        return (account, recipient, None, date, date[:8] + "01", amount, "", f"opening:{account}:{recipient_inn}")


class Charges(Kind):
    name = "charges"
    key = ("account", "service_code", "period")
    fields = (
        Field("account", f.account_number, required=True),
        Field("service_code", f.code, required=True, cache=True),
        Field("period", f.period, required=True, cache=True),
        Field("amount_kopecks", f.kopecks, required=True),
        Field("volume", f.decimal(12, code="import.bad_volume", what="a volume")),
        Field("reason", f.text(500), default="", cache=True),
    )

    def finish(self, v, row, refs, state):
        account, service_code, first_day, amount, _volume, reason = v
        recipient = _service(service_code, row, refs)
        if recipient is None:
            return None
        reference = f"charge:{account}:{service_code}:{first_day[:7]}"
        return (account, recipient, service_code, f.last_day(first_day), first_day, amount, reason, reference)


KINDS: dict[str, Kind] = {k.name: k for k in (Organisations(), Services(), Accounts(), Tariffs(), Norms(),
                                              OpeningBalances(), Charges())}
LEDGER_KINDS = ("opening_balances", "charges")

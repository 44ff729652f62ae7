"""What a meters file holds, and how one row of it is checked (pure Python).

One row is one meter, identified by (account, service, serial). The registry's rules (services,
units per service, zones, statuses, the account number's form) are the meters domain's
(`meters.domain.registry`); this module says how a file's row is read against them, with the
import's stable problem codes. Duplicates within the file are found in SQL (`merge`).
"""
from __future__ import annotations

import re

from gorod_runtime.imports import fields as f
from gorod_runtime.imports.fields import Invalid
from gorod_runtime.imports.rows import Field, Kind
from meters.domain.registry import MAX_DIGITS, SERVICES, STATUSES, UNITS

# When a file leaves `decimals` empty: what the dials of that unit usually show (water and gas
# meters 0.001 m3, electricity 0.1 kWh, heat 0.001 Gcal).
DECIMALS_BY_UNIT = {"m3": 3, "kWh": 1, "Gcal": 3}
ALL_UNITS = tuple(sorted({unit for units in UNITS.values() for unit in units}))
MULTI_ZONE_SERVICE = "electricity"


_SERIAL = re.compile(r"[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё_./-]{0,39}")


def serial(value: str) -> str:
    """The factory number on the dial: 1-40 letters (Latin or Cyrillic), digits, `_ . / -`, as written."""
    if not _SERIAL.fullmatch(value):
        raise Invalid("import.bad_serial", f"a serial number is 1-40 letters, digits or _ . / -, got {f._show(value)}")
    return value


class Meters(Kind):
    """One meter per row. Empty optional values take their defaults (below); an empty `status`
    keeps an existing meter's status (a new meter is `active`)."""

    name = "meters"
    key = ("account", "service", "serial")
    fields = (
        Field("account", f.account_number, required=True),     # the form only: accruals owns the accounts
        Field("service", f.choice(*SERVICES), required=True, cache=True),
        Field("serial", serial, required=True),
        Field("zones", f.integer(1, 3, "import.bad_zones", "zones"), default=1, cache=True),
        Field("placement", f.text(100), default="", cache=True),
        Field("unit", f.choice(*ALL_UNITS), cache=True),
        Field("digits", f.integer(1, MAX_DIGITS, "import.bad_digits", "digits"), required=True, cache=True),
        Field("decimals", f.integer(0, 3, "import.bad_decimals", "decimals"), cache=True),
        Field("supplier_inn", f.inn, default="", cache=True),
        Field("installed_on", f.date, cache=True),
        Field("sealed_on", f.date, cache=True),
        Field("verification_due", f.date, cache=True),
        Field("status", f.choice(*STATUSES), cache=True),
        Field("status_reason", f.text(500), default="", cache=True),
    )

    def finish(self, v, row, refs, state):
        (account_, service, serial_, zones, placement, unit, digits, decimals, supplier_inn, installed_on, sealed_on,
         verification_due, status, status_reason) = v
        if zones != 1 and service != MULTI_ZONE_SERVICE:
            row.add("zones", "import.bad_zones", f"a {service} meter has one zone; 2 or 3 zones are for electricity")
        units = UNITS[service]
        if unit is None:
            unit = units[0]
        elif unit not in units:
            row.add("unit", "import.bad_unit", f"the unit of {service} is {' or '.join(units)}, got {unit!r}")
        if decimals is None:
            decimals = DECIMALS_BY_UNIT[unit]
        if installed_on is not None:
            if sealed_on is not None and sealed_on < installed_on:
                row.add("sealed_on", "import.bad_interval", f"{sealed_on} is before installed_on {installed_on}")
            if verification_due is not None and verification_due < installed_on:
                row.add("verification_due", "import.bad_interval", f"{verification_due} is before installed_on {installed_on}")
        if status_reason and status is None:
            row.add("status", "import.required", "status_reason is given: say which status it explains")
        return (account_, service, serial_, zones, placement, unit, digits, decimals, supplier_inn, installed_on, sealed_on,
                verification_due, status, status_reason)


KINDS: dict[str, Kind] = {k.name: k for k in (Meters(),)}

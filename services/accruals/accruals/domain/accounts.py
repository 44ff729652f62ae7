"""A personal account as operators and residents see it. Pure dataclasses, no I/O."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal


@dataclasses.dataclass(frozen=True)
class Account:
    number: str
    els: str
    house_address: str
    house_code: str
    premise_number: str
    total_area: Decimal
    heated_area: Decimal
    living_area: Decimal | None
    residents: int
    registered: int
    owner_name: str
    status: str
    opened_on: dt.date
    closed_on: dt.date | None
    services: tuple[str, ...] = ()     # service codes charged now

    @property
    def address(self) -> str:
        """The house's address and the flat: "г. Барнаул, ул. Ленина, д. 1, кв. 5"."""
        return f"{self.house_address}, кв. {self.premise_number}" if self.premise_number else self.house_address

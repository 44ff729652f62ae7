"""Accruals rules: pure functions and dataclasses, no I/O."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from gorod_runtime.period import Period

__all__ = ["ConsumptionRecord", "Period"]


@dataclasses.dataclass(frozen=True)
class ConsumptionRecord:
    account: str
    meter_id: str
    zone: str
    period: Period
    service: str
    value: Decimal
    consumption: Decimal | None
    reading_id: str
    submitted_at: dt.datetime

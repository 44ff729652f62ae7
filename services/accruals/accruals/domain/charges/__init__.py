"""The charge engine: an account's charge lines for a period, each explaining itself.

Pure Python (no database, transport or logging); see docs/engine.md for the rules, formulas,
sources and the ASSUMED settings.
"""
from .engine import compute
from .model import (
    Absence,
    AccountInputs,
    ChargeError,
    ChargeLine,
    CommonResource,
    Explanation,
    HouseInputs,
    MeterPeriod,
    MeterState,
    Norm,
    ServiceSpec,
    Tariff,
)
from .money import kopecks, round_money, total
from .settings import DEFAULT_SETTINGS, EngineSettings

__all__ = [
    "DEFAULT_SETTINGS", "Absence", "AccountInputs", "ChargeError", "ChargeLine", "CommonResource", "EngineSettings",
    "Explanation", "HouseInputs", "MeterPeriod", "MeterState", "Norm", "ServiceSpec", "Tariff", "compute", "kopecks",
    "round_money", "total",
]

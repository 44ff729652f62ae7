"""The personal-account number (лицевой счёт, ЛС): the one identifier every service shares.

One rule for every service and import: 6 to 12 ASCII digits, leading zeros kept (the number is
text, never an integer).
"""
from __future__ import annotations

MIN_DIGITS = 6
MAX_DIGITS = 12
RULE = f"{MIN_DIGITS} to {MAX_DIGITS} digits"


def is_account_number(value: str | None) -> bool:
    return bool(value) and MIN_DIGITS <= len(value) <= MAX_DIGITS and value.isascii() and value.isdigit()

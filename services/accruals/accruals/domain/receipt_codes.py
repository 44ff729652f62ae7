"""Receipt codes: 6 digits per account and period that prove a person holds the receipt.

    code = HMAC-SHA256(secret, f"{account}|{YYYY-MM}|{generation}")
           -> the first 8 bytes as a big-endian unsigned integer, mod 10**6, zero-padded to 6 digits

`generation` is the account's `receipt_code_generation`: an operator's rotation increments it,
so every code of the account changes at once. Nothing is stored but the generation; the
secret comes from GOROD_RECEIPT_CODE_SECRET (see docs/receipt-codes.md).

`verify` does the same work whatever the input: one HMAC per (secret, period) candidate and a
`hmac.compare_digest` for each, with no early exit, for a known account, an unknown one (a
dummy generation) and a malformed code alike.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from gorod_runtime.period import Period

__all__ = ["CODE_DIGITS", "Period", "code", "normalize", "verify", "window"]

CODE_DIGITS = 6
_MODULUS = 10 ** CODE_DIGITS
_DIGITS = re.compile(r"[0-9]{6}")
_WHITESPACE = re.compile(r"\s+")
# What a malformed code is compared with: never equal to a 6-digit code, same length.
_NEVER = "-" * CODE_DIGITS
# Longer input is not a code with spaces; it is not even looked at.
_MAX_CODE_INPUT = 32


def code(secret: bytes, account: str, period: Period, generation: int) -> str:
    """The code of `account` for `period` under `secret` and the account's `generation`."""
    message = f"{account}|{period}|{generation}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % _MODULUS:0{CODE_DIGITS}d}"


def normalize(text: str) -> str | None:
    """The code typed by a person: 6 ASCII digits, spaces allowed anywhere; else None."""
    if not isinstance(text, str) or len(text) > _MAX_CODE_INPUT:
        return None
    compact = _WHITESPACE.sub("", text)
    return compact if _DIGITS.fullmatch(compact) else None


def previous(period: Period) -> Period:
    return Period(period.year - 1, 12) if period.month == 1 else Period(period.year, period.month - 1)


def window(current: Period, periods: int) -> list[Period]:
    """The current period and the `periods - 1` before it, newest first."""
    result = [current]
    for _ in range(periods - 1):
        result.append(previous(result[-1]))
    return result


def verify(account: str, text: str, periods: Sequence[Period], generation: int | None,
           secrets: Sequence[bytes], dummy_generation: int = 0) -> bool:
    """Whether `text` is the code of `account` for one of `periods` under one of `secrets`.

    `generation` None means the account does not exist: the same candidates are computed
    with `dummy_generation` and compared, and the answer is False.
    """
    given = normalize(text)
    probe = _NEVER if given is None else given
    known = generation is not None
    used_generation = generation if known else dummy_generation
    matched = 0
    for secret in secrets:
        for period in periods:
            matched |= hmac.compare_digest(code(secret, account, period, used_generation), probe)
    return bool(matched) and known and given is not None

"""One value of an import file: parsing and checking, pure Python.

Every parser takes the value already stripped and not empty, and returns what is staged: a
`str` in the form PostgreSQL reads (``"12.50"``, ``"2026-01-31"``), a bool or an int; or it
raises `Invalid` with a stable code and an English message. Messages echo a value only when
it is not personal data (numbers, dates, codes), never names or addresses.
"""
from __future__ import annotations

import datetime as dt
import re

from gorod_runtime import accounts


class Invalid(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _show(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


# -- INN, KPP, bank details ------------------------------------------------------------------

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(w * d for w, d in zip(weights, digits, strict=False)) % 11 % 10


def inn_valid(inn: str) -> bool:
    """A Russian taxpayer number: 10 digits (organisation) or 12 (person), with its check digits."""
    if not (inn.isascii() and inn.isdigit()) or len(inn) not in (10, 12):
        return False
    d = [int(c) for c in inn]
    if len(d) == 10:
        return _check_digit(d, _INN10) == d[9]
    return _check_digit(d, _INN11) == d[10] and _check_digit(d, _INN12) == d[11]


def inn(value: str) -> str:
    if not (value.isascii() and value.isdigit()) or len(value) not in (10, 12):
        raise Invalid("import.bad_inn", f"INN must be 10 or 12 digits, got {_show(value)}")
    if not inn_valid(value):
        raise Invalid("import.bad_inn", f"INN {value} has wrong check digits")
    return value


_KPP = re.compile(r"\d{4}[0-9A-Z]{2}\d{3}")


def kpp(value: str) -> str:
    if not _KPP.fullmatch(value):
        raise Invalid("import.bad_kpp",
                      f"KPP must be 9 characters (4 digits, 2 digits or capital Latin letters, 3 digits), got {_show(value)}")
    return value


def digits(count: int, code: str, what: str):
    def parse(value: str) -> str:
        if len(value) != count or not (value.isascii() and value.isdigit()):
            raise Invalid(code, f"{what} must be {count} digits, got {_show(value)}")
        return value
    return parse


bic = digits(9, "import.bad_bic", "BIC")
bank_account = digits(20, "import.bad_bank_account", "a bank account")
corr_account = digits(20, "import.bad_corr_account", "a correspondent account")


def account_number(value: str) -> str:
    """A personal account (ЛС): gorod_runtime.accounts' rule, leading zeros kept."""
    if not accounts.is_account_number(value):
        raise Invalid("import.bad_account", f"an account number must be {accounts.RULE}, got {_show(value)}")
    return value


_ELS = re.compile(r"[0-9A-Za-z]{10}")


def els(value: str) -> str:
    """The single personal account of ГИС ЖКХ: 10 Latin letters or digits."""
    if not _ELS.fullmatch(value):
        raise Invalid("import.bad_els", f"an ELS must be 10 Latin letters or digits, got {_show(value)}")
    return value.upper()


# -- numbers ---------------------------------------------------------------------------------

_DECIMAL = re.compile(r"([+-]?)(\d+)(?:[.,](\d+))?")


def decimal(places: int, *, int_digits: int = 15, minimum: float | None = None, maximum: float | None = None,
            positive: bool = False, code: str = "import.bad_decimal", what: str = "a number"):
    """A decimal with `.` or `,`, at most `places` decimals and `int_digits` digits before the point.
    Returns the canonical text (``"12.5"``) that PostgreSQL's numeric reads exactly."""

    def parse(value: str) -> str:
        m = _DECIMAL.fullmatch(value)
        if m is None:
            raise Invalid(code, f"{what} must be a decimal number such as 12.5 or 12,5, got {_show(value)}")
        sign, whole, frac = m.groups()
        if frac and len(frac) > places:
            if places == 0:
                raise Invalid(code, f"{what} must be a whole number, got {_show(value)}")
            raise Invalid(code, f"{what} has more than {places} decimals: {_show(value)}")
        whole = whole.lstrip("0") or "0"
        if len(whole) > int_digits:
            raise Invalid(code, f"{what} is too large: {_show(value)}")
        text = f"{'-' if sign == '-' else ''}{whole}.{frac}" if frac else f"{'-' if sign == '-' else ''}{whole}"
        if minimum is not None or maximum is not None or positive:
            number = float(text)
            if positive and number <= 0:
                raise Invalid(code, f"{what} must be greater than 0, got {_show(value)}")
            if minimum is not None and number < minimum:
                raise Invalid(code, f"{what} must be at least {minimum:g}, got {_show(value)}")
            if maximum is not None and number > maximum:
                raise Invalid(code, f"{what} must be at most {maximum:g}, got {_show(value)}")
        return text
    return parse


_INTEGER = re.compile(r"[+-]?\d{1,19}")


def integer(minimum: int, maximum: int, code: str = "import.bad_integer", what: str = "a whole number"):
    def parse(value: str) -> int:
        if not _INTEGER.fullmatch(value):
            raise Invalid(code, f"{what} must be a whole number, got {_show(value)}")
        number = int(value)
        if not minimum <= number <= maximum:
            raise Invalid(code, f"{what} must be from {minimum} to {maximum}, got {number}")
        return number
    return parse


MAX_KOPECKS = 10**15  # 10 trillion roubles: far beyond any line, well inside bigint

kopecks = integer(-MAX_KOPECKS, MAX_KOPECKS, "import.bad_amount", "an amount in kopecks")


# -- dates, periods, booleans ------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})|(\d{2})\.(\d{2})\.(\d{4})")
MIN_YEAR, MAX_YEAR = 1900, 2100


def date(value: str) -> str:
    """``YYYY-MM-DD`` or ``DD.MM.YYYY``; returns ``YYYY-MM-DD``."""
    m = _DATE.fullmatch(value)
    if m is None:
        raise Invalid("import.bad_date", f"a date must be YYYY-MM-DD or DD.MM.YYYY, got {_show(value)}")
    y, mo, d, d2, mo2, y2 = m.groups()
    year, month, day = (int(y), int(mo), int(d)) if y else (int(y2), int(mo2), int(d2))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid("import.bad_date", f"a date must be within {MIN_YEAR}-{MAX_YEAR}, got {_show(value)}")
    try:
        dt.date(year, month, day)
    except ValueError:
        raise Invalid("import.bad_date", f"no such date: {_show(value)}") from None
    return f"{year:04d}-{month:02d}-{day:02d}"


_PERIOD = re.compile(r"(\d{4})-(\d{2})")


def period(value: str) -> str:
    """A settlement month ``YYYY-MM``; returns its first day ``YYYY-MM-01``."""
    m = _PERIOD.fullmatch(value)
    if m is None or not 1 <= int(m.group(2)) <= 12 or not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise Invalid("import.bad_period", f"a period must be YYYY-MM, got {_show(value)}")
    return f"{value}-01"


def last_day(first_day: str) -> str:
    """``YYYY-MM-01`` -> the last day of that month."""
    year, month = int(first_day[:4]), int(first_day[5:7])
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).isoformat()


_BOOLEANS = {"1": True, "0": False, "да": True, "нет": False, "true": True, "false": False}


def boolean(value: str) -> bool:
    found = _BOOLEANS.get(value.lower())
    if found is None:
        raise Invalid("import.bad_boolean", f"a yes/no value must be 1, 0, да, нет, true or false, got {_show(value)}")
    return found


# -- text and codes ----------------------------------------------------------------------------

def text(max_length: int):
    """Free text on one line: tabs and line breaks become spaces; NUL is refused."""

    def parse(value: str) -> str:
        if len(value) > max_length:
            raise Invalid("import.too_long", f"at most {max_length} characters, got {len(value)}")
        if "\x00" in value:
            raise Invalid("import.bad_text", "a NUL character is not allowed")
        if "\n" in value or "\r" in value or "\t" in value:
            value = " ".join(value.split())
        return value
    return parse


_CODE = re.compile(r"[0-9A-Za-zА-Яа-яЁё_./-]{1,64}")


def code(value: str) -> str:
    """A service code or a variant: letters, digits, `_ . / -`, at most 64 characters."""
    if not _CODE.fullmatch(value):
        raise Invalid("import.bad_code", f"a code is 1-64 letters, digits or _ . / -, got {_show(value)}")
    return value


_IDENT = re.compile(r"[a-z][a-z0-9_]{0,63}")


def identifier(value: str) -> str:
    """A lower-case machine name such as ``cold_water``."""
    if not _IDENT.fullmatch(value):
        raise Invalid("import.bad_code", f"expected a lower-case name such as cold_water, got {_show(value)}")
    return value


def choice(*values: str):
    allowed = frozenset(values)
    listed = ", ".join(values)

    def parse(value: str) -> str:
        if value not in allowed:
            raise Invalid("import.bad_choice", f"must be one of {listed}, got {_show(value)}")
        return value
    return parse

"""Receipt codes: the derivation, the verify window, rotation of generations and secrets,
constant work for unknown accounts, and the settings."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest

from accruals import settings
from accruals.domain import receipt_codes as domain
from accruals.domain.receipt_codes import Period
from accruals.handlers import receipt_codes as handlers
from accruals.storage import receipt_codes as storage
from gorod_runtime.errors import DomainError, NotFound
from gorod_runtime.settings import SettingsError

SECRET = b"gorod-test-receipt-code-secret-0123456789"
OLD_SECRET = b"an-older-receipt-code-secret-that-still-verifies"
ACCOUNT = "100000001"
MARCH = Period(2026, 3)
# 15 March 2026, noon in Barnaul (UTC+7).
NOW = dt.datetime(2026, 3, 15, 5, 0, tzinfo=dt.UTC)


def options(*secrets: bytes, periods: int = 3) -> settings.AccrualsSettings:
    secrets = secrets or (SECRET,)
    return settings.AccrualsSettings(
        tz="Asia/Barnaul", receipt_code_periods=periods, receipt_code_secrets=tuple(secrets),
        receipt_code_dummy_generation=settings.dummy_generation(secrets[0]),
    )


# -- the code ----------------------------------------------------------------------------------


def test_a_known_vector_stays_stable():
    # Also: printf '100000001|2026-03|0' | openssl dgst -sha256 -hmac gorod-test-receipt-code-secret-0123456789
    # -> first 16 hex digits as an integer, mod 10**6.
    assert domain.code(SECRET, ACCOUNT, MARCH, 0) == "717799"
    assert domain.code(SECRET, ACCOUNT, MARCH, 1) == "783439"
    assert domain.code(SECRET, ACCOUNT, Period(2026, 2), 0) == "339527"


def test_the_code_is_the_documented_hmac():
    digest = hmac.new(SECRET, b"100000001|2026-03|0", hashlib.sha256).digest()
    assert domain.code(SECRET, ACCOUNT, MARCH, 0) == f"{int.from_bytes(digest[:8], 'big') % 10**6:06d}"


def test_codes_are_six_digits_zero_padded():
    codes = [domain.code(SECRET, f"{n:09d}", MARCH, 0) for n in range(2000)]
    assert all(len(c) == 6 and c.isascii() and c.isdigit() for c in codes)
    assert any(c.startswith("0") for c in codes)          # zero padding happens
    assert len(set(codes)) > 1900                          # spread out


def test_the_code_depends_on_account_period_generation_and_secret():
    base = domain.code(SECRET, ACCOUNT, MARCH, 0)
    assert domain.code(SECRET, "100000002", MARCH, 0) != base
    assert domain.code(SECRET, ACCOUNT, Period(2026, 4), 0) != base
    assert domain.code(SECRET, ACCOUNT, MARCH, 1) != base
    assert domain.code(OLD_SECRET, ACCOUNT, MARCH, 0) != base


# -- verify --------------------------------------------------------------------------------------


def verify(text, generation=0, secrets=(SECRET,), periods=3, current=MARCH, account=ACCOUNT):
    return domain.verify(account, text, domain.window(current, periods), generation, secrets, dummy_generation=12345)


def test_the_current_code_verifies_with_or_without_spaces():
    code = domain.code(SECRET, ACCOUNT, MARCH, 0)
    assert verify(code)
    assert verify(f"{code[:3]} {code[3:]}")
    assert verify(f"  {code[:2]} {code[2:4]}\u00a0{code[4:]} ")


@pytest.mark.parametrize("text", ["", "12345", "1234567", "abcdef", "12345a", "１２３４５６", "12-345", "0" * 100, "٣٤٥٦٧٨"])
def test_malformed_input_is_simply_invalid(text):
    assert verify(text) is False


def test_a_wrong_code_is_invalid():
    code = domain.code(SECRET, ACCOUNT, MARCH, 0)
    assert not verify(f"{(int(code) + 1) % 10**6:06d}")


def test_the_window_is_the_current_and_previous_periods():
    assert domain.window(Period(2026, 2), 3) == [Period(2026, 2), Period(2026, 1), Period(2025, 12)]
    assert domain.window(MARCH, 1) == [MARCH]
    codes = {p: domain.code(SECRET, ACCOUNT, p, 0) for p in domain.window(MARCH, 4)}
    assert verify(codes[Period(2026, 3)]) and verify(codes[Period(2026, 2)]) and verify(codes[Period(2026, 1)])
    assert not verify(codes[Period(2025, 12)])                  # 4th period back: expired with the default 3
    assert verify(codes[Period(2025, 12)], periods=4)
    assert not verify(codes[Period(2026, 2)], periods=1)
    assert not verify(domain.code(SECRET, ACCOUNT, Period(2026, 4), 0))   # a future period


def test_rotation_changes_the_code_and_the_old_one_stops_verifying():
    old = domain.code(SECRET, ACCOUNT, MARCH, 0)
    new = domain.code(SECRET, ACCOUNT, MARCH, 1)
    assert old != new
    assert verify(new, generation=1)
    assert not verify(old, generation=1)


def test_secret_rotation_the_first_signs_and_all_verify():
    old_code = domain.code(OLD_SECRET, ACCOUNT, MARCH, 0)
    assert not verify(old_code, secrets=(SECRET,))
    assert verify(old_code, secrets=(SECRET, OLD_SECRET))      # the old secret, listed second
    assert verify(domain.code(SECRET, ACCOUNT, MARCH, 0), secrets=(SECRET, OLD_SECRET))


def test_an_unknown_account_is_false_even_with_the_right_dummy_code():
    dummy_code = domain.code(SECRET, ACCOUNT, MARCH, 12345)
    assert verify(dummy_code, generation=None) is False
    assert verify(domain.code(SECRET, ACCOUNT, MARCH, 0), generation=None) is False


# -- constant work -------------------------------------------------------------------------------


class FakeUoW:
    def __init__(self):
        self.connection = object()
        self.committed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return None

    def commit(self):
        self.committed = True


@pytest.fixture
def accounts(monkeypatch):
    """The generations of the accounts that exist, behind the storage functions."""
    known = {ACCOUNT: 0}

    def rotate(conn, account):
        if account not in known:
            return None
        known[account] += 1
        return known[account]

    monkeypatch.setattr(storage, "generation_of", lambda conn, account: known.get(account))
    monkeypatch.setattr(storage, "rotate", rotate)
    return known


@pytest.fixture
def work(monkeypatch):
    """Counts HMAC computations and digest comparisons."""
    counts = {"hmac": 0, "compare": 0}
    real_new, real_compare = hmac.new, hmac.compare_digest

    def new(*args, **kwargs):
        counts["hmac"] += 1
        return real_new(*args, **kwargs)

    def compare(a, b):
        counts["compare"] += 1
        return real_compare(a, b)

    monkeypatch.setattr(domain.hmac, "new", new)
    monkeypatch.setattr(domain.hmac, "compare_digest", compare)

    def measure(call):
        counts.update(hmac=0, compare=0)
        result = call()
        return result, dict(counts)

    return measure


def test_verify_does_the_same_work_for_known_and_unknown_accounts_and_any_input(accounts, work):
    opts = options(SECRET, OLD_SECRET, periods=3)
    right = domain.code(SECRET, ACCOUNT, MARCH, 0)
    cases = {
        "known, right code": (ACCOUNT, right),
        "known, wrong code": (ACCOUNT, "000000"),
        "known, malformed": (ACCOUNT, "12ab"),
        "unknown, some code": ("999999999", right),
        "unknown, malformed": ("999999999", ""),
        "empty account": ("", right),
        "absurd account": ("9" * 10_000, right),
    }
    results = {name: work(lambda a=a, c=c: handlers.verify(FakeUoW(), opts, a, c, now=NOW)) for name, (a, c) in cases.items()}
    assert results["known, right code"][0] is True
    assert all(valid is False for name, (valid, _) in results.items() if name != "known, right code")
    # 2 secrets x 3 periods: six HMACs and six comparisons, whatever the case.
    assert {name: counts for name, (_, counts) in results.items()} == {name: {"hmac": 6, "compare": 6} for name in cases}


def test_the_handler_takes_the_current_period_in_the_region_zone(accounts):
    opts = options()
    # 31 March 2026 20:00 UTC is already 1 April in Barnaul: the April code is current.
    late_march_utc = dt.datetime(2026, 3, 31, 20, 0, tzinfo=dt.UTC)
    april = domain.code(SECRET, ACCOUNT, Period(2026, 4), 0)
    assert handlers.code_for(FakeUoW(), opts, ACCOUNT, None, now=late_march_utc) == april
    assert handlers.verify(FakeUoW(), opts, ACCOUNT, april, now=late_march_utc)
    assert handlers.code_for(FakeUoW(), opts, ACCOUNT, MARCH, now=late_march_utc) == domain.code(SECRET, ACCOUNT, MARCH, 0)


def test_code_for_signs_with_the_first_secret_and_refuses_unknown_accounts(accounts):
    assert handlers.code_for(FakeUoW(), options(SECRET, OLD_SECRET), ACCOUNT, MARCH) == domain.code(SECRET, ACCOUNT, MARCH, 0)
    with pytest.raises(NotFound):
        handlers.code_for(FakeUoW(), options(), "999999999", MARCH)


def test_rotate_increments_the_generation_and_needs_an_operator(accounts):
    uow = FakeUoW()
    old = handlers.code_for(FakeUoW(), options(), ACCOUNT, None, now=NOW)
    assert handlers.rotate(uow, ACCOUNT, "operator-7", "lost receipt") == 1
    assert uow.committed
    assert not handlers.verify(FakeUoW(), options(), ACCOUNT, old, now=NOW)
    assert handlers.verify(FakeUoW(), options(), ACCOUNT, handlers.code_for(FakeUoW(), options(), ACCOUNT, None, now=NOW), now=NOW)
    with pytest.raises(NotFound):
        handlers.rotate(FakeUoW(), "999999999", "operator-7", "")
    with pytest.raises(DomainError) as error:
        handlers.rotate(FakeUoW(), ACCOUNT, "  ", "no operator")
    assert error.value.code == "operator.required"


# -- settings ------------------------------------------------------------------------------------

GOOD = "x" * 32


def load(monkeypatch, **env):
    for name in ("GOROD_RECEIPT_CODE_SECRET", "GOROD_RECEIPT_CODE_PERIODS", "GOROD_TZ"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return settings.load()


def test_receipt_code_settings_defaults_and_several_secrets(monkeypatch):
    loaded = load(monkeypatch, GOROD_RECEIPT_CODE_SECRET=f" {GOOD} ,{'y' * 40}")
    assert loaded.receipt_code_secrets == (GOOD.encode(), b"y" * 40)
    assert loaded.receipt_code_periods == 3
    assert loaded.tz == "Asia/Barnaul"
    assert loaded.receipt_code_dummy_generation == settings.dummy_generation(GOOD.encode())
    assert GOOD not in repr(loaded) and "y" * 40 not in repr(loaded)


@pytest.mark.parametrize(("env", "message"), [
    ({}, "GOROD_RECEIPT_CODE_SECRET: Environment variable not set."),
    ({"GOROD_RECEIPT_CODE_SECRET": ""}, "GOROD_RECEIPT_CODE_SECRET: one or more comma-separated secrets"),
    ({"GOROD_RECEIPT_CODE_SECRET": f"{GOOD},"}, "GOROD_RECEIPT_CODE_SECRET: one or more comma-separated secrets"),
    ({"GOROD_RECEIPT_CODE_SECRET": "short-secret-of-31-characters-x"}, "at least 32 characters"),
    ({"GOROD_RECEIPT_CODE_SECRET": GOOD, "GOROD_RECEIPT_CODE_PERIODS": "0"}, "GOROD_RECEIPT_CODE_PERIODS: Must be"),
    ({"GOROD_RECEIPT_CODE_SECRET": GOOD, "GOROD_TZ": "Mars/Olympus"}, "GOROD_TZ: unknown time zone"),
])
def test_bad_receipt_code_settings_are_one_line_without_the_secret(monkeypatch, env, message):
    with pytest.raises(SettingsError) as error:
        load(monkeypatch, **env)
    text = str(error.value)
    assert message in text and "\n" not in text
    assert "short-secret" not in text and GOOD not in text

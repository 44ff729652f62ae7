"""Settings of the accruals service beyond the kit's, read once at start-up.

The kit's runner calls `AccrualsService.load_service_settings()` (this `load`) before the
service starts and exits with one line on `SettingsError`; workers get the result as
`self.options`. Secrets never appear in an error message or in the dataclass's repr.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac

from marshmallow import ValidationError
from marshmallow.validate import Range

from gorod_runtime.settings import read_env, region_tz

SECRET_MIN_LENGTH = 32
DEFAULT_RECEIPT_CODE_PERIODS = 3
MAX_RECEIPT_CODE_PERIODS = 24
# Label of the HMAC that derives the per-deployment dummy generation from the signing secret.
_DUMMY_GENERATION_LABEL = b"gorod/accruals/receipt-code/dummy-generation"


@dataclasses.dataclass(frozen=True)
class AccrualsSettings:
    tz: str                                   # GOROD_TZ, the region's zone (current period)
    receipt_code_periods: int                 # codes of this many recent periods verify
    # GOROD_RECEIPT_CODE_SECRET split on commas: the first signs, all verify.
    receipt_code_secrets: tuple[bytes, ...] = dataclasses.field(repr=False)
    # The generation the verify path uses for an account that does not exist, so that it does
    # the same work as for one that does. Derived from the signing secret: per deployment,
    # not guessable, no extra setting.
    receipt_code_dummy_generation: int = dataclasses.field(repr=False)


def parse_secrets(value: str) -> tuple[bytes, ...]:
    """"s1,s2,..." -> the secrets as bytes, blanks around each removed."""
    return tuple(part.strip().encode() for part in value.split(","))


def _validate_secrets(value: str) -> None:
    # The message must never contain the value.
    parts = [part.strip() for part in value.split(",")]
    if not parts or any(not part for part in parts):
        raise ValidationError("one or more comma-separated secrets, none empty")
    if any(len(part) < SECRET_MIN_LENGTH for part in parts):
        raise ValidationError(f"every secret must be at least {SECRET_MIN_LENGTH} characters")


def dummy_generation(signing_secret: bytes) -> int:
    digest = hmac.new(signing_secret, _DUMMY_GENERATION_LABEL, hashlib.sha256).digest()
    # Kept within the Integer column's range, like a real generation.
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def load() -> AccrualsSettings:
    """Read and validate the accruals settings; raise SettingsError naming each bad variable."""
    with read_env() as env:
        tz = region_tz(env)
        raw_secrets = env.str("GOROD_RECEIPT_CODE_SECRET", validate=_validate_secrets)
        periods = env.int("GOROD_RECEIPT_CODE_PERIODS", DEFAULT_RECEIPT_CODE_PERIODS,
                          validate=Range(min=1, max=MAX_RECEIPT_CODE_PERIODS))
    secrets = parse_secrets(raw_secrets)
    return AccrualsSettings(
        tz=tz, receipt_code_periods=periods, receipt_code_secrets=secrets,
        receipt_code_dummy_generation=dummy_generation(secrets[0]),
    )

"""Settings of the meters service beyond the kit's, read once at start-up (see docs/meters.md).

The kit's runner calls `MetersService.load_service_settings()` before the service starts and
exits with one line on `SettingsError`; workers get the result as `self.options`.
"""
from __future__ import annotations

import dataclasses
import re

from marshmallow import ValidationError
from marshmallow.validate import OneOf

from gorod_runtime.settings import read_env, region_tz
from meters.domain import windows

_DAYS = re.compile(r"^(\d{1,2})-(\d{1,2})$")


@dataclasses.dataclass(frozen=True)
class MetersSettings:
    tz: str                       # GOROD_TZ: the window and the period are decided in this zone
    default_window: windows.Window


def parse_window(text: str) -> tuple[int, int]:
    match = _DAYS.match(text.strip())
    if not match:
        raise ValidationError("first-last day of the month, e.g. 23-25")
    first, last = int(match.group(1)), int(match.group(2))
    if not (1 <= first <= 28 and first <= last <= 31):
        raise ValidationError("the first day is 1 to 28, the last day from the first to 31")
    return first, last


def load() -> MetersSettings:
    """Read and validate the meters settings; raise SettingsError naming each bad variable."""
    with read_env() as env:
        tz = region_tz(env)
        days = env.str("GOROD_READINGS_WINDOW", "23-25", validate=parse_window)
        outside = env.str("GOROD_READINGS_OUTSIDE", "next", validate=OneOf(windows.OUTSIDE))
    first, last = parse_window(days)
    return MetersSettings(tz=tz, default_window=windows.Window(first, last, outside))

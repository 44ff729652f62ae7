"""From a scenario's meters (readings, statuses, history) to the charge engine's `MeterState`
for each calculated period, and back: what each period billed per meter.

For a period P and a meter register:

* **consumption** = the last reading counted for P minus the last reading counted for an
  earlier period (or, for a meter's first period, its first reading of P): after periods
  without readings it covers them too, as the engine expects (`MeterState.current`). A
  reading below the previous one rolls over at 10^digits. The first reading of a meter is
  its starting point and gives no consumption.
* **status** = the last status change on or before P's last day, the day after
  `verified_until` being a change to verification_expired. Readings of a period in which the
  meter is not active give no consumption (the engine ignores them). When the meter becomes
  active again (repaired, verified anew), its first reading from that day on starts the count
  afresh, like a new meter's: no catch-up against the months billed by average or norm.
* **history** = one `MeterPeriod` per period, contiguous, ending with P − 1, from the earliest
  of the explicit history, the readings and the calculated periods; but never before the
  period after a meter's starting reading when that period's volume is unknown (a starting
  reading is not a gap: see docs/scenario.md). For a calculated period the billed volume and
  method come from that period's lines (`record`); before the scenario, from the readings
  (billed = volume) or the explicit history.
"""
from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal

from accruals.domain.charges import MeterPeriod, MeterState
from accruals.domain.charges.model import ABSENT, ACTIVE, METER, VERIFICATION_EXPIRED
from accruals.domain.charges.money import month_index, period_days
from gorod_runtime.period import Period

from .problems import Problem, child
from .scenario import Meter

ONE_DAY = dt.timedelta(days=1)
UNKNOWN = "unknown"
# The engine needs the last 6 periods with readings and the gap before the period; a longer
# history only costs time (a document could hold readings from 1900), so it is cut here.
HISTORY_MONTHS = 120


class MeterTrack:
    """One meter register across the scenario."""

    def __init__(self, meter: Meter, problems: list[Problem]):
        self.meter = meter
        self.readings = meter.readings
        self.by_period: dict[Period, list[int]] = {}       # period → indexes of its readings, in order
        for index, reading in enumerate(meter.readings):
            self.by_period.setdefault(reading.period, []).append(index)
        self.reading_periods = sorted(self.by_period)
        self.explicit = {entry.period: entry for entry in meter.history}
        self.recorded: dict[Period, tuple[Decimal | None, Decimal | None, str]] = {}
        given = [*self.explicit, *self.reading_periods]
        self._first_given = min(given) if given else None
        self._first_recorded: Period | None = None
        self._starting = self._starting_period()
        # History entries by month from _origin on: final once their period is computed (the
        # periods run in order and history stops before the period asked for), so kept.
        self._origin: int | None = None
        self._entries: list[MeterPeriod] = []
        self._notes: list[str | None] = []
        self.installed = Period.of_date(meter.installed_on) if meter.installed_on else None
        events = [(day, 1, status) for day, status in meter.statuses]
        if meter.verified_until is not None:
            events.append((meter.verified_until + ONE_DAY, 0, VERIFICATION_EXPIRED))
        self.events = sorted(events, key=lambda e: (e[0], e[1]))
        # A meter that becomes active again (repaired, verified anew) starts counting afresh from
        # its first reading after that day, like a new meter: segment_start[i] is the index of the
        # reading that starts reading i's count.
        restarts = []
        previous = ACTIVE
        for day, _order, status in self.events:
            if status == ACTIVE and previous != ACTIVE:
                month = Period.of_date(day)
                first = next((i for i, r in enumerate(self.readings)
                              if r.period > month or (r.period == month and (r.date is None or r.date >= day))), None)
                if first is not None:
                    restarts.append(first)
            previous = status
        self.restarts = sorted(set(restarts))
        self.segment_start = [max((r for r in self.restarts if r <= i), default=0) for i in range(len(self.readings))]
        for period, entry in self.explicit.items():
            volume = self._volume(period)[0]
            if entry.volume is not None and volume is not None:
                problems.append(Problem(child(entry.path, "volume"), "scenario.history_conflict",
                                        f"the readings already give the volume of {period} ({volume})"))

    # -- what the scenario says about one period ----------------------------------------------------

    def exists(self, period: Period) -> bool:
        return self.installed is None or period >= self.installed

    def status(self, period: Period) -> tuple[str, dt.date | None]:
        last_day = period_days(period)[1]
        status, since = ACTIVE, None
        for day, _order, event in self.events:
            if day > last_day:
                break
            status, since = event, day
        return status, (since if status != ACTIVE else None)

    def _volume(self, period: Period) -> tuple[Decimal | None, tuple[Decimal, Decimal] | None]:
        """(consumption from the readings counted for `period`, (base, current) readings), or (None, None).

        The base is the last reading counted for an earlier period, or else the first reading of
        this period, provided it belongs to the same count (no restart in between).
        """
        indexes = self.by_period.get(period)
        if not indexes:
            return None, None
        last = indexes[-1]
        start = self.segment_start[last]
        i = bisect.bisect_left(self.reading_periods, period)
        earlier = self.by_period[self.reading_periods[i - 1]][-1] if i else None
        if earlier is not None and earlier >= start:
            base = self.readings[earlier]
        elif start < last and self.readings[start].period == period:
            base = self.readings[start]
        else:
            return None, None
        current = self.readings[last]
        volume = current.value - base.value
        if volume < 0 and self.meter.digits is not None:
            volume += Decimal(10) ** self.meter.digits
        return volume, (base.value, current.value)

    def _starting_period(self) -> Period | None:
        """The period of the meter's first reading when that reading only starts the count."""
        if not self.reading_periods:
            return None
        first = self.reading_periods[0]
        if len(self.by_period[first]) > 1 or (first in self.explicit and self.explicit[first].volume is not None):
            return None
        return first

    def history(self, period: Period) -> tuple[tuple[MeterPeriod, ...], tuple[str, ...]]:
        candidates = [p for p in (self._first_given, self._first_recorded) if p is not None and p < period]
        if not candidates:
            return (), ()
        start = min(candidates)
        if self._starting is not None and self._starting < period:
            start = max(start, self._starting.next())
        if self.installed is not None:
            start = max(start, self.installed)
        restart = next((self.readings[r].period for r in reversed(self.restarts) if self.readings[r].period < period), None)
        if restart is not None:
            # Nothing before a restart belongs to the new count; its own period only if it has a volume.
            start = max(start, restart if self._volume(restart)[0] is not None else restart.next())
        end = month_index(period)
        first = max(month_index(start), end - HISTORY_MONTHS)
        if first >= end:
            return (), ()
        if self._origin is None or first < self._origin:
            self._origin, self._entries, self._notes = first, [], []
        while self._origin + len(self._entries) < end:
            index = self._origin + len(self._entries)
            notes: list[str] = []
            self._entries.append(self._entry(Period(index // 12, index % 12 + 1), notes))
            self._notes.append(notes[0] if notes else None)
        low, high = first - self._origin, end - self._origin
        return tuple(self._entries[low:high]), tuple(note for note in self._notes[low:high] if note)

    def _entry(self, period: Period, notes: list[str]) -> MeterPeriod:
        status = self.status(period)[0]
        volume = self._volume(period)[0] if status == ACTIVE else None
        if period in self.recorded:
            _volume, billed, method = self.recorded[period]
            return MeterPeriod(period, volume, billed, method)
        entry = self.explicit.get(period)
        if entry is not None:
            if entry.volume is not None:
                volume = entry.volume
            return MeterPeriod(period, volume, entry.billed if entry.billed is not None else volume, entry.method)
        if volume is not None:
            return MeterPeriod(period, volume, volume, METER)
        notes.append(f"прибор {self.meter.id}: за {period} (до сценария) нет показаний и не указан начисленный объём — "
                     "в перерасчёте по возобновлённым показаниям он считается 0 (укажите meters[].history[].billed)")
        return MeterPeriod(period, None, None, UNKNOWN)

    def state(self, period: Period) -> tuple[MeterState, tuple[str, ...]]:
        status, since = self.status(period)
        volume, readings = self._volume(period) if status == ACTIVE else (None, None)
        history, notes = self.history(period)
        return MeterState(self.meter.id, self.meter.zone, status, since, volume, history, readings), notes

    # -- what a calculated period billed -------------------------------------------------------------

    def record(self, period: Period, state: MeterState, billed: Decimal | None, method: str) -> None:
        if self._first_recorded is None:
            self._first_recorded = period
        if state.current is not None:
            self.recorded[period] = (state.current, state.current, METER)
        else:
            self.recorded[period] = (None, billed, method)


def billed_per_meter(lines, service_code: str, states: list[MeterState]) -> dict[str, tuple[Decimal | None, str]]:
    """The volume each register was billed in a period, from the period's regular lines of the service.

    Lines made from a register's readings or average name it (explanation input «прибор»); a norm
    line of the whole service is shared equally among the registers in use [ASSUMED].
    """
    own: dict[str, Decimal] = {}
    methods: dict[str, str] = {}
    shared = Decimal(0)
    shared_method = ""
    for line in lines:
        if line.service_code != service_code or line.recalculation or line.component not in ("", "carrier") or line.volume is None:
            continue
        meter_id = line.explanation.inputs.get("прибор")
        if meter_id is None:
            shared += line.volume
            shared_method = line.method
        else:
            own[meter_id] = own.get(meter_id, Decimal(0)) + line.volume
            methods[meter_id] = line.method
    in_use = [s for s in states if s.status != ABSENT]
    result = {}
    for state in in_use:
        if state.meter_id in own:
            result[state.meter_id] = (own[state.meter_id], methods[state.meter_id])
        elif shared_method:
            result[state.meter_id] = (shared / len(in_use), shared_method)
        else:
            result[state.meter_id] = (None, UNKNOWN)
    return result

"""Readings: queries."""
from __future__ import annotations

import sqlalchemy as sa

from meters import domain
from meters.storage.tables import readings


def previous_values(conn: sa.Connection, meter_keys: list[tuple[str, str]]):
    """The latest stored value of each (meter_id, zone), locking nothing."""
    if not meter_keys:
        return {}
    rows = conn.execute(
        sa.select(readings.c.meter_id, readings.c.zone, readings.c.value)
        .distinct(readings.c.meter_id, readings.c.zone)
        .where(sa.tuple_(readings.c.meter_id, readings.c.zone).in_(meter_keys))
        .order_by(readings.c.meter_id, readings.c.zone, readings.c.submitted_at.desc())
    ).all()
    return {(r.meter_id, r.zone): r.value for r in rows}


def add_readings(conn: sa.Connection, accepted: list[domain.AcceptedReading]) -> None:
    conn.execute(
        readings.insert(),
        [
            {
                "id": r.reading_id, "submission_id": r.submission_id, "account": r.account,
                "meter_id": r.meter_id, "zone": r.zone, "value": r.value,
                "period": r.period.first_day, "source": r.source, "submitted_at": r.submitted_at,
            }
            for r in accepted
        ],
    )

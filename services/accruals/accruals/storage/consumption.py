"""The accruals database: tables and queries."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from accruals.domain import consumption as domain
from accruals.storage.tables import consumption

_upsert = pg.insert(consumption)
# A reading submitted earlier than the stored one never overwrites it (events can be replayed).
_RECORD_CONSUMPTION = _upsert.on_conflict_do_update(
    index_elements=[consumption.c.account, consumption.c.meter_id, consumption.c.zone, consumption.c.period],
    set_={name: _upsert.excluded[name] for name in ("service", "value", "consumption", "reading_id", "submitted_at")},
    where=consumption.c.submitted_at <= _upsert.excluded.submitted_at,
)


def record_consumption(conn: sa.Connection, record: domain.ConsumptionRecord) -> None:
    conn.execute(_RECORD_CONSUMPTION, {
        "account": record.account, "meter_id": record.meter_id, "zone": record.zone,
        "period": record.period.first_day, "service": record.service, "value": record.value,
        "consumption": record.consumption, "reading_id": record.reading_id, "submitted_at": record.submitted_at,
    })


def consumption_of(conn: sa.Connection, accounts: list[str]) -> list[domain.ConsumptionRecord]:
    rows = conn.execute(
        sa.select(consumption).where(consumption.c.account.in_(accounts))
        .order_by(consumption.c.account, consumption.c.period, consumption.c.meter_id, consumption.c.zone)
    ).all()
    return [
        domain.ConsumptionRecord(
            account=r.account, meter_id=r.meter_id, zone=r.zone, period=domain.Period.of_date(r.period),
            service=r.service, value=r.value, consumption=r.consumption, reading_id=r.reading_id,
            submitted_at=r.submitted_at,
        )
        for r in rows
    ]

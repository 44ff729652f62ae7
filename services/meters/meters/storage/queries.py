"""Read-only queries: meters of an account, history, consumption, reminders."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from gorod_runtime.period import Period
from meters.domain import queries as domain
from meters.domain.registry import Meter
from meters.storage.readings import meter_from_row
from meters.storage.tables import meters, readings


def meters_of(conn: sa.Connection, account: str, include_archived: bool) -> list[Meter]:
    query = sa.select(meters).where(meters.c.account == account)
    if not include_archived:
        query = query.where(meters.c.status != "archived")
    return [meter_from_row(r) for r in conn.execute(query.order_by(meters.c.service, meters.c.id))]


def last_readings(conn: sa.Connection, meter_ids: list[int]) -> list[domain.LastReading]:
    if not meter_ids:
        return []
    rows = conn.execute(sa.text("""
        SELECT DISTINCT ON (meter_id, zone) meter_id, zone, value, period, submitted_at FROM readings
        WHERE meter_id = ANY(CAST(:ids AS bigint[]))
        ORDER BY meter_id, zone, period DESC, submitted_at DESC
    """), {"ids": meter_ids}).all()
    return [domain.LastReading(r.meter_id, r.zone, r.value, Period.of_date(r.period), r.submitted_at) for r in rows]


def history(conn: sa.Connection, meter_id: int, from_period: Period, to_period: Period) -> list[domain.HistoryReading]:
    r = readings
    rows = conn.execute(
        sa.select(r.c.id, r.c.zone, r.c.value, r.c.period, r.c.submitted_at, r.c.source, r.c.consumption)
        .where(r.c.meter_id == meter_id, r.c.period.between(from_period.first_day, to_period.first_day))
        .order_by(r.c.period, r.c.submitted_at, r.c.zone)
    ).all()
    return [domain.HistoryReading(x.id, x.zone, x.value, Period.of_date(x.period), x.submitted_at, x.source, x.consumption)
            for x in rows]


def consumption(conn: sa.Connection, accounts: list[str], periods: list[Period]) -> list[domain.ConsumptionRecord]:
    rows = conn.execute(sa.text("""
        SELECT DISTINCT ON (r.meter_id, r.zone, r.period)
               m.account, r.meter_id, m.service, m.unit, r.zone, r.period, r.value, r.consumption
        FROM meters m JOIN readings r ON r.meter_id = m.id
        WHERE m.account = ANY(CAST(:accounts AS text[])) AND r.period = ANY(CAST(:periods AS date[]))
        ORDER BY r.meter_id, r.zone, r.period, r.submitted_at DESC
    """), {"accounts": accounts, "periods": [p.first_day for p in periods]}).all()
    records = [domain.ConsumptionRecord(x.account, x.meter_id, x.service, x.unit, x.zone, Period.of_date(x.period),
                                        x.value, x.consumption) for x in rows]
    return sorted(records, key=lambda c: (c.account, c.period, c.meter_id, c.zone))


def accounts_without_readings(conn: sa.Connection, period: Period, supplier_inn: str, after: str, limit: int) -> list[str]:
    """Accounts (in order, after the cursor) with an active meter lacking a reading of the period."""
    rows = conn.execute(sa.text("""
        SELECT DISTINCT m.account FROM meters m
        WHERE m.status = 'active' AND m.account > :after AND (:supplier = '' OR m.supplier_inn = :supplier)
          AND NOT EXISTS (SELECT 1 FROM readings r WHERE r.meter_id = m.id AND r.period = :period)
        ORDER BY m.account LIMIT :limit
    """), {"period": period.first_day, "supplier": supplier_inn, "after": after, "limit": limit}).all()
    return [r.account for r in rows]


def verification_due(conn: sa.Connection, today: dt.date, until: dt.date, supplier_inn: str, after: int,
                     limit: int) -> list[Meter]:
    query = (
        sa.select(meters)
        .where(meters.c.status == "active", meters.c.verification_due.between(today, until), meters.c.id > after)
        .order_by(meters.c.id).limit(limit)
    )
    if supplier_inn:
        query = query.where(meters.c.supplier_inn == supplier_inn)
    return [meter_from_row(r) for r in conn.execute(query)]

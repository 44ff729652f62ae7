"""Readings: lock a submission's meters, what is stored before it, write it, replay it."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from gorod_runtime.db import Prepared
from gorod_runtime.period import Period
from meters.domain import readings as domain
from meters.domain import windows as windows_domain
from meters.domain.registry import Meter
from meters.storage.tables import meters, readings, submissions

# The submission's meters, locked in id order (two calls for one meter run one after the other;
# FOR NO KEY UPDATE does not block the readings' foreign key), each with its most specific window.
_LOCK_METERS = Prepared("meters_lock_meters", """
SELECT m.id, m.account, m.service, m.serial, m.zones, m.unit, m.digits, m.decimals, m.supplier_inn,
       m.placement, m.installed_on, m.sealed_on, m.verification_due, m.status,
       w.first_day, w.last_day, w.outside, w.supplier_inn AS w_supplier_inn, w.service AS w_service
FROM meters m
LEFT JOIN LATERAL (
    SELECT * FROM submission_windows w
    WHERE w.supplier_inn IN (m.supplier_inn, '') AND w.service IN (m.service, '')
    ORDER BY w.supplier_inn = '', w.service = '' LIMIT 1
) w ON true
WHERE m.id = ANY(CAST(:ids AS bigint[])) AND m.account = :account
ORDER BY m.id
FOR NO KEY UPDATE OF m
""", ids="bigint[]", account="text")

# Per meter and zone: the period the reading counts for (the window's, or the latest stored
# reading's when that is later: a later call never goes back a period, say on a replica whose clock
# is behind at the boundary), the reading that counts in the latest earlier period, whether the
# period has a reading already, and the latest reading's time.
_STORED = Prepared("meters_stored", """
SELECT k.meter_id, k.zone, k.period, b.value AS baseline_value, b.period AS baseline_period,
       EXISTS (SELECT 1 FROM readings c WHERE c.meter_id = k.meter_id AND c.period = k.period AND c.zone = k.zone)
           AS has_current,
       (SELECT max(l.submitted_at) FROM readings l WHERE l.meter_id = k.meter_id AND l.zone = k.zone
            AND l.period >= coalesce(b.period, '-infinity'::date)) AS latest_at
FROM unnest(CAST(:ids AS bigint[]), CAST(:zones AS text[]), CAST(:periods AS date[])) AS i(meter_id, zone, period)
CROSS JOIN LATERAL (
    SELECT i.meter_id, i.zone, greatest(i.period, (
        SELECT max(r.period) FROM readings r WHERE r.meter_id = i.meter_id AND r.zone = i.zone)) AS period
) k
LEFT JOIN LATERAL (
    SELECT r.value, r.period FROM readings r
    WHERE r.meter_id = k.meter_id AND r.period < k.period AND r.zone = k.zone
    ORDER BY r.period DESC, r.submitted_at DESC LIMIT 1
) b ON true
""", ids="bigint[]", zones="text[]", periods="date[]")

# The submission and its readings in one round trip; no reading is written when the key's
# submission exists (ON CONFLICT waits for a concurrent insert of the same key to end).
_ADD_SUBMISSION = Prepared("meters_add_submission", """
WITH s AS (
    INSERT INTO submissions (id, account, idempotency_key, request_hash, source, accepted_at)
    VALUES (:id, :account, :key, :hash, :source, :at)
    ON CONFLICT (account, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id
), r AS (
    INSERT INTO readings (id, submission_id, meter_id, account, service, zone, value, previous_value, consumption,
                          rolled_over, correction, period, source, submitted_at)
    SELECT x.id, s.id, x.meter_id, :account, x.service, x.zone, x.value, x.previous_value, x.consumption,
           x.rolled_over, x.correction, x.period, :source, :at
    FROM s, unnest(CAST(:ids AS uuid[]), CAST(:meters AS bigint[]), CAST(:services AS text[]), CAST(:zones AS text[]),
                   CAST(:values AS numeric[]), CAST(:previous AS numeric[]), CAST(:used AS numeric[]),
                   CAST(:rolled AS boolean[]), CAST(:corrections AS boolean[]), CAST(:periods AS date[]))
        AS x(id, meter_id, service, zone, value, previous_value, consumption, rolled_over, correction, period)
    RETURNING 1
)
SELECT count(*) FROM s
""", id="uuid", account="text", key="text", hash="text", source="text", at="timestamptz", ids="uuid[]", meters="bigint[]",
    services="text[]", zones="text[]", values="numeric[]", previous="numeric[]", used="numeric[]", rolled="boolean[]",
    corrections="boolean[]", periods="date[]")


def meter_from_row(row) -> Meter:
    return Meter(
        id=row.id, account=row.account, service=row.service, serial=row.serial, zones=row.zones, unit=row.unit,
        digits=row.digits, decimals=row.decimals, supplier_inn=row.supplier_inn, placement=row.placement,
        installed_on=row.installed_on, sealed_on=row.sealed_on, verification_due=row.verification_due, status=row.status,
    )


def lock_meters(conn: sa.Connection, account: str, ids: list[int], default: windows_domain.Window,
                ) -> tuple[dict[int, Meter], dict[int, windows_domain.Window]]:
    meters, window_of = {}, {}
    for row in _LOCK_METERS.execute(conn, {"ids": ids, "account": account}):
        meters[row.id] = meter_from_row(row)
        window_of[row.id] = default if row.first_day is None else windows_domain.Window(
            row.first_day, row.last_day, row.outside, row.w_supplier_inn, row.w_service)
    return meters, window_of


def stored(conn: sa.Connection, planned: list[domain.Planned]) -> dict[tuple[int, str], domain.Stored]:
    rows = _STORED.execute(conn, {
        "ids": [p.meter.id for p in planned], "zones": [p.input.zone for p in planned],
        "periods": [p.period.first_day for p in planned],
    })
    return {
        (r.meter_id, r.zone): domain.Stored(
            period=Period.of_date(r.period), baseline_value=r.baseline_value,
            baseline_period=None if r.baseline_period is None else Period.of_date(r.baseline_period),
            has_current=r.has_current, latest_at=r.latest_at,
        )
        for r in rows
    }


def find_submission(conn: sa.Connection, account: str, key: str):
    return conn.execute(
        sa.select(submissions).where(submissions.c.account == account, submissions.c.idempotency_key == key)
    ).first()


def add_submission(conn: sa.Connection, ack: domain.Acknowledgement, key: str, request_hash: str) -> bool:
    """Write the submission and its readings in one statement; False when a call with the same key
    committed first (then nothing is written)."""
    rs = ack.readings
    inserted = _ADD_SUBMISSION.execute(conn, {
        "id": ack.submission_id, "account": ack.account, "key": key or None, "hash": request_hash, "source": ack.source,
        "at": ack.accepted_at, "ids": [r.reading_id for r in rs], "meters": [r.meter_id for r in rs],
        "services": [r.service for r in rs], "zones": [r.zone for r in rs], "values": [r.value for r in rs],
        "previous": [r.previous_value for r in rs], "used": [r.consumption for r in rs],
        "rolled": [r.rolled_over for r in rs], "corrections": [r.correction for r in rs],
        "periods": [r.period.first_day for r in rs],
    }).scalar()
    return bool(inserted)


def acknowledgement(conn: sa.Connection, submission) -> domain.Acknowledgement:
    """A stored submission's acknowledgement, as first given."""
    rows = conn.execute(
        sa.select(readings, meters.c.serial).join(meters, meters.c.id == readings.c.meter_id)
        .where(readings.c.submission_id == submission.id)
    ).all()
    accepted = sorted((reading_from_row(r) for r in rows), key=lambda r: (r.meter_id, r.zone))
    return domain.Acknowledgement(submission.id, submission.account, submission.source, submission.accepted_at,
                                  tuple(accepted), replayed=True)


def reading_from_row(r) -> domain.AcceptedReading:
    return domain.AcceptedReading(
        reading_id=r.id, submission_id=r.submission_id, account=r.account, meter_id=r.meter_id, serial=r.serial,
        service=r.service, zone=r.zone, value=r.value, previous_value=r.previous_value, consumption=r.consumption,
        rolled_over=r.rolled_over, correction=r.correction, period=Period.of_date(r.period), source=r.source,
        submitted_at=_utc(r.submitted_at),
    )


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)

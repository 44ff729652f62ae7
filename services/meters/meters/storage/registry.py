"""The meter registry and the submission windows: single changes by operators."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from meters.domain import registry as domain
from meters.domain import windows as windows_domain
from meters.storage.readings import meter_from_row
from meters.storage.tables import meter_status_history, meters, submission_windows

_REGISTRY_FIELDS = ("account", "service", "serial", "zones", "placement", "unit", "digits", "decimals", "supplier_inn",
                    "installed_on", "sealed_on", "verification_due", "status")


def add_meter(conn: sa.Connection, meter: domain.Meter, source: str) -> domain.Meter | None:
    """Insert a meter with its first status; None when (account, service, serial) exists."""
    row = conn.execute(
        pg.insert(meters).values({f: getattr(meter, f) for f in _REGISTRY_FIELDS})
        .on_conflict_do_nothing(constraint="meters_key").returning(meters)
    ).first()
    if row is None:
        return None
    conn.execute(meter_status_history.insert().values(meter_id=row.id, status=row.status, reason="registered", source=source))
    return meter_from_row(row)


def get_meter(conn: sa.Connection, meter_id: int, lock: bool = False) -> domain.Meter | None:
    query = sa.select(meters).where(meters.c.id == meter_id)
    row = conn.execute(query.with_for_update(key_share=False, read=False) if lock else query).first()
    return None if row is None else meter_from_row(row)


def change_status(conn: sa.Connection, meter_id: int, status: str, reason: str, source: str, verification_due=None) -> None:
    values = {"status": status, "updated_at": sa.func.now()}
    if verification_due is not None:
        values["verification_due"] = verification_due
    conn.execute(meters.update().where(meters.c.id == meter_id).values(values))
    conn.execute(meter_status_history.insert().values(meter_id=meter_id, status=status, reason=reason, source=source))


def status_history(conn: sa.Connection, meter_id: int) -> list[domain.StatusChange]:
    h = meter_status_history
    rows = conn.execute(sa.select(h).where(h.c.meter_id == meter_id).order_by(h.c.changed_at, h.c.id)).all()
    return [domain.StatusChange(r.status, r.reason, r.source, r.changed_at) for r in rows]


def expire_verifications(conn: sa.Connection, today, limit: int = 10000) -> int:
    """Active meters whose verification ended before `today` become verification_expired (with history)."""
    rows = conn.execute(sa.text("""
        WITH due AS (
            SELECT id FROM meters WHERE status = 'active' AND verification_due < :today
            ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED
        ), changed AS (
            UPDATE meters m SET status = 'verification_expired', updated_at = now() FROM due WHERE m.id = due.id
            RETURNING m.id, m.verification_due
        )
        INSERT INTO meter_status_history (meter_id, status, reason, source)
        SELECT id, 'verification_expired', 'verification ended on ' || verification_due, 'system' FROM changed
        RETURNING meter_id
    """), {"today": today, "limit": limit}).all()
    return len(rows)


def set_window(conn: sa.Connection, window: windows_domain.Window, operator: str) -> None:
    row = {"supplier_inn": window.supplier_inn, "service": window.service, "first_day": window.first_day,
           "last_day": window.last_day, "outside": window.outside, "updated_by": operator}
    insert = pg.insert(submission_windows).values(row)
    conn.execute(insert.on_conflict_do_update(
        index_elements=[submission_windows.c.supplier_inn, submission_windows.c.service],
        set_={k: insert.excluded[k] for k in ("first_day", "last_day", "outside", "updated_by")} | {"updated_at": sa.func.now()},
    ))


def remove_window(conn: sa.Connection, supplier_inn: str, service: str) -> None:
    w = submission_windows
    conn.execute(w.delete().where(w.c.supplier_inn == supplier_inn, w.c.service == service))


def windows(conn: sa.Connection) -> dict[tuple[str, str], windows_domain.Window]:
    """Every window, the most specific first (the order in which they apply): supplier and
    service, supplier, service, any; then by supplier and service."""
    w = submission_windows
    return {
        (r.supplier_inn, r.service): windows_domain.Window(r.first_day, r.last_day, r.outside, r.supplier_inn, r.service)
        for r in conn.execute(sa.select(w).order_by(w.c.supplier_inn == "", w.c.service == "", w.c.supplier_inn, w.c.service))
    }

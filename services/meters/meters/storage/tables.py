"""The meters database: every table (Alembic migrations create them; see migrations/)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from gorod_runtime.imports.table import imports_table

metadata = sa.MetaData()

SERVICES = ("cold_water", "hot_water", "electricity", "gas", "heat")
STATUSES = ("active", "broken", "verification_expired", "archived")

# -- registry ------------------------------------------------------------------------------

meters = sa.Table(
    "meters", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("account", sa.Text, nullable=False),                 # personal account, 6–12 digits (accruals owns accounts)
    sa.Column("service", sa.Text, nullable=False),                 # SERVICES
    sa.Column("serial", sa.Text, nullable=False),
    sa.Column("zones", sa.SmallInteger, nullable=False, server_default="1"),   # 2/3 only for electricity
    sa.Column("placement", sa.Text, nullable=False, server_default=""),        # kitchen, bathroom, …
    sa.Column("unit", sa.Text, nullable=False),                    # m3, kWh, Gcal
    sa.Column("digits", sa.SmallInteger, nullable=False),          # integer digits of the dial (roll-over)
    sa.Column("decimals", sa.SmallInteger, nullable=False),        # 0..3
    sa.Column("supplier_inn", sa.Text, nullable=False, server_default=""),     # whose submission window applies
    sa.Column("installed_on", sa.Date, nullable=True),
    sa.Column("sealed_on", sa.Date, nullable=True),
    sa.Column("verification_due", sa.Date, nullable=True),         # поверка
    sa.Column("status", sa.Text, nullable=False, server_default="active"),     # STATUSES
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("account", "service", "serial", name="meters_key"),
    sa.CheckConstraint("service IN ('cold_water','hot_water','electricity','gas','heat')", name="meters_service"),
    sa.CheckConstraint("zones BETWEEN 1 AND 3 AND (zones = 1 OR service = 'electricity')", name="meters_zones"),
    sa.CheckConstraint("unit IN ('m3','kWh','Gcal')", name="meters_unit"),
    sa.CheckConstraint("decimals BETWEEN 0 AND 3", name="meters_decimals"),
    sa.CheckConstraint("digits BETWEEN 1 AND 12", name="meters_digits"),
    sa.CheckConstraint("status IN ('active','broken','verification_expired','archived')", name="meters_status"),
    sa.Index("meters_account", "account"),
)

meter_status_history = sa.Table(
    "meter_status_history", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("meter_id", sa.BigInteger, sa.ForeignKey("meters.id", name="meter_status_history_meter"), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.Text, nullable=False, server_default=""),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("meter_status_history_meter", "meter_id", "changed_at"),
)

# -- readings (migration 0003) ---------------------------------------------------------------

# One row per call of SubmitReadings: the acknowledgement's id and time; the idempotency key.
submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", pg.UUID(as_uuid=False), primary_key=True),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.Text, nullable=True),
    sa.Column("request_hash", sa.Text, nullable=False),          # sha256 of the canonical request
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("submissions_key", "account", "idempotency_key", unique=True,
             postgresql_where=sa.text("idempotency_key IS NOT NULL")),
)

# Every reading ever accepted (corrections included); the latest of a meter, zone and period counts.
readings = sa.Table(
    "readings", metadata,
    sa.Column("id", pg.UUID(as_uuid=False), primary_key=True),   # = the event id and accruals' reading_id
    sa.Column("submission_id", pg.UUID(as_uuid=False), sa.ForeignKey("submissions.id", name="readings_submission_fk"),
              nullable=False),
    sa.Column("meter_id", sa.BigInteger, sa.ForeignKey("meters.id", name="readings_meter_fk"), nullable=False),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("service", sa.Text, nullable=False),
    sa.Column("zone", sa.Text, nullable=False, server_default=""),
    sa.Column("value", sa.Numeric, nullable=False),
    sa.Column("previous_value", sa.Numeric, nullable=True),     # the latest reading of an earlier period
    sa.Column("consumption", sa.Numeric, nullable=True),        # None for a meter's first reading
    sa.Column("rolled_over", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("correction", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("period", sa.Date, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("zone IN ('', 'day', 'night', 'peak', 'semi_peak')", name="readings_zone"),
    sa.CheckConstraint(
        "source IN ('cabinet','mobile','operator','bank_registry','company_import','smart_meter')", name="readings_source"),
    sa.Index("readings_meter", "meter_id", "period", "zone", "submitted_at"),
    sa.Index("readings_submission", "submission_id"),
)

# Submission windows per supplier and service ("" = any); the settings give the default.
submission_windows = sa.Table(
    "submission_windows", metadata,
    sa.Column("supplier_inn", sa.Text, primary_key=True),
    sa.Column("service", sa.Text, primary_key=True),
    sa.Column("first_day", sa.SmallInteger, nullable=False),
    sa.Column("last_day", sa.SmallInteger, nullable=False),     # 31 = the month's last day
    sa.Column("outside", sa.Text, nullable=False),              # next, refuse
    sa.Column("updated_by", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("first_day BETWEEN 1 AND 28 AND last_day BETWEEN first_day AND 31", name="submission_windows_days"),
    sa.CheckConstraint("outside IN ('next', 'refuse')", name="submission_windows_outside"),
)

sa.Index("meters_supplier", meters.c.supplier_inn, meters.c.account)
sa.Index("meters_verification_due", meters.c.verification_due, postgresql_where=meters.c.status == "active")

imports = imports_table(metadata)      # the kit's: one row per import (migration 0004)

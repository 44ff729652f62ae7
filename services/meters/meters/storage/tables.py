"""The meters database: every table (Alembic migrations create them; see migrations/)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

SERVICES = ("cold_water", "hot_water", "electricity", "gas", "heat")
STATUSES = ("active", "broken", "verification_expired", "archived")

# -- registry ------------------------------------------------------------------------------

meters = sa.Table(
    "meters", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("account", sa.Text, nullable=False),                 # personal account, 9–13 digits (accruals owns accounts)
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

# -- readings (rebuilt on the registry in a later migration) -------------------------------

readings = sa.Table(
    "readings",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=False), primary_key=True),
    sa.Column("submission_id", pg.UUID(as_uuid=False), nullable=False),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("meter_id", sa.Text, nullable=False),
    sa.Column("zone", sa.Text, nullable=False),
    sa.Column("value", sa.Numeric, nullable=False),
    sa.Column("period", sa.Date, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
)

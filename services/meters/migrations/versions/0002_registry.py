"""Meter registry: meters and their status history.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meters",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("serial", sa.Text(), nullable=False),
        sa.Column("zones", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("placement", sa.Text(), server_default="", nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("digits", sa.SmallInteger(), nullable=False),
        sa.Column("decimals", sa.SmallInteger(), nullable=False),
        sa.Column("supplier_inn", sa.Text(), server_default="", nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("sealed_on", sa.Date(), nullable=True),
        sa.Column("verification_due", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "service", "serial", name="meters_key"),
        sa.CheckConstraint("service IN ('cold_water','hot_water','electricity','gas','heat')", name="meters_service"),
        sa.CheckConstraint("zones BETWEEN 1 AND 3 AND (zones = 1 OR service = 'electricity')", name="meters_zones"),
        sa.CheckConstraint("unit IN ('m3','kWh','Gcal')", name="meters_unit"),
        sa.CheckConstraint("decimals BETWEEN 0 AND 3", name="meters_decimals"),
        sa.CheckConstraint("digits BETWEEN 1 AND 12", name="meters_digits"),
        sa.CheckConstraint("status IN ('active','broken','verification_expired','archived')", name="meters_status"),
    )
    op.create_index("meters_account", "meters", ["account"])
    op.create_table(
        "meter_status_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meter_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.Text(), server_default="", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["meter_id"], ["meters.id"], name="meter_status_history_meter"),
    )
    op.create_index("meter_status_history_meter", "meter_status_history", ["meter_id", "changed_at"])


def downgrade():
    op.drop_table("meter_status_history")
    op.drop_table("meters")

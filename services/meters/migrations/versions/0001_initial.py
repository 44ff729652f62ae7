"""Kit tables and readings.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from gorod_runtime.db import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_kit_tables(op)
    op.create_table(
        "readings",
        sa.Column("id", pg.UUID(as_uuid=False), primary_key=True),
        sa.Column("submission_id", pg.UUID(as_uuid=False), nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("meter_id", sa.Text, nullable=False),
        sa.Column("zone", sa.Text, nullable=False, server_default=""),
        sa.Column("value", sa.Numeric, nullable=False),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("readings_meter", "readings", ["meter_id", "zone", "submitted_at"])
    op.create_index("readings_account", "readings", ["account", "period"])


def downgrade():
    op.drop_table("readings")
    drop_kit_tables(op)

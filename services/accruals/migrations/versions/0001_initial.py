"""Kit tables and the consumption projection.

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
        "consumption",
        sa.Column("account", sa.Text, primary_key=True),
        sa.Column("meter_id", sa.Text, primary_key=True),
        sa.Column("zone", sa.Text, primary_key=True),
        sa.Column("period", sa.Date, primary_key=True),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("value", sa.Numeric, nullable=False),
        sa.Column("consumption", sa.Numeric),
        sa.Column("reading_id", pg.UUID(as_uuid=False), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("consumption")
    drop_kit_tables(op)

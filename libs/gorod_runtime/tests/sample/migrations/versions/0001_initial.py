"""Kit tables and the sample effects table.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from gorod_runtime.db import create_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_kit_tables(op)
    op.create_table(
        "effects",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade():
    op.drop_table("effects")

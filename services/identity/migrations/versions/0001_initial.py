"""Kit tables.

Revision ID: 0001
Revises:
"""
from alembic import op

from gorod_runtime.db import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_kit_tables(op)


def downgrade():
    drop_kit_tables(op)

"""Imports: one row per registry file imported (the kit's imports table).

Revision ID: 0004
Revises: 0003
"""
from alembic import op

from gorod_runtime.imports.table import create_imports_table, drop_imports_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    create_imports_table(op)


def downgrade():
    drop_imports_table(op)

"""imports: the kind's latest applied file decides `unchanged` (gorod_runtime.imports.table)

Revision ID: 0007
Revises: 0006
"""
from alembic import op

from gorod_runtime.imports.table import latest_applied_index, unique_applied_index

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    latest_applied_index(op)


def downgrade():
    unique_applied_index(op)

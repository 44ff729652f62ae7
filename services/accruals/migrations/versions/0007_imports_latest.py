"""imports: the kind's latest applied file decides `unchanged` (an older file applied again is imported again)

Revision ID: 0007
Revises: 0006

The unique (kind, sha256) of applied files answered `unchanged` for any file applied before, so
F, G, F left G's values in place. Now only the same bytes as the kind's latest applied file are
`unchanged`; the index finds that file.
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DROP INDEX IF EXISTS imports_applied_file")
    op.execute("CREATE INDEX IF NOT EXISTS imports_latest ON imports (kind, id) WHERE status = 'applied'")


def downgrade():
    op.execute("DROP INDEX IF EXISTS imports_latest")
    op.execute("CREATE UNIQUE INDEX imports_applied_file ON imports (kind, sha256) WHERE status = 'applied'")

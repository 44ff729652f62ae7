"""The ``imports`` table of an importing service: one row per import, with its outcome.

A file with the same SHA-256 as its kind's latest applied file answers ``unchanged`` at once
(`imports_latest` finds that file); an older file sent again is imported again. `errors` keeps
the first problems of a rejected file."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg


def imports_table(metadata: sa.MetaData) -> sa.Table:
    """The table, in the service's metadata (so that Alembic's autogenerate knows it)."""
    return sa.Table(
        "imports", metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),                      # applied, rejected
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("errors", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("created_by", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Index("imports_latest", "kind", "id", postgresql_where=sa.text("status = 'applied'")),
    )


def create_imports_table(op) -> None:
    """Create the table from an Alembic revision."""
    imports_table(sa.MetaData()).create(op.get_bind())


def drop_imports_table(op) -> None:
    op.drop_table("imports")


def latest_applied_index(op) -> None:
    """Migrate a table made with the unique (kind, sha256) of applied files to `imports_latest`:
    the kind's latest applied file decides `unchanged` (an older file applied again is imported
    again)."""
    op.execute("DROP INDEX IF EXISTS imports_applied_file")
    op.execute("CREATE INDEX IF NOT EXISTS imports_latest ON imports (kind, id) WHERE status = 'applied'")


def unique_applied_index(op) -> None:
    """Back to the unique (kind, sha256) of applied files."""
    op.execute("DROP INDEX IF EXISTS imports_latest")
    op.execute("CREATE UNIQUE INDEX imports_applied_file ON imports (kind, sha256) WHERE status = 'applied'")

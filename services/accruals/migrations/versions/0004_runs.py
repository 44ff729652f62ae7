"""monthly runs: runs, charge lines (one partition per run), explanation shapes, account_partition()

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # The stable account -> partition map the run shares with Python (accruals.run.partition):
    # the first 32 bits of md5(number), modulo the number of partitions, plus one.
    op.execute("""
        CREATE FUNCTION account_partition(number text, parts integer) RETURNS integer
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT (('x' || substr(md5(number), 1, 8))::bit(32)::bigint % parts)::integer + 1 $$
    """)
    op.create_table(
        "runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("part", sa.SmallInteger(), nullable=False),
        sa.Column("parts", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accounts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lines", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("charges_kopecks", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("penalties_kopecks", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("errors", sa.Integer(), server_default="0", nullable=False),
        sa.Column("problems", pg.JSONB(), server_default="[]", nullable=False),
        sa.Column("settings", pg.JSONB(), nullable=False),
        sa.Column("settings_hash", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint("part BETWEEN 1 AND parts", name="runs_part"),
        sa.CheckConstraint("status IN ('running', 'draft', 'superseded', 'closed', 'failed')", name="runs_status"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("runs_period", "runs", ["period", "id"])
    op.create_table(
        "charge_lines",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.Text(collation="C"), nullable=False),
        sa.Column("line_no", sa.SmallInteger(), nullable=False),
        sa.Column("service_code", sa.Text(), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("component", sa.Text(), server_default="", nullable=False),
        sa.Column("zone", sa.Text(), server_default="", nullable=False),
        sa.Column("band", sa.Text(), server_default="", nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("volume", sa.Numeric(), nullable=True),
        sa.Column("unit", sa.Text(), server_default="", nullable=False),
        sa.Column("tariff", sa.Numeric(), nullable=True),
        sa.Column("amount_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("recalculation", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("shape", sa.BigInteger(), nullable=True),
        sa.Column("facts", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "account", "line_no"),
        postgresql_partition_by="LIST (run_id)",
    )
    op.create_table(
        "explanation_shapes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("body", pg.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("explanation_shapes")
    op.drop_table("charge_lines")
    op.drop_index("runs_period", table_name="runs")
    op.drop_table("runs")
    op.execute("DROP FUNCTION account_partition(text, integer)")

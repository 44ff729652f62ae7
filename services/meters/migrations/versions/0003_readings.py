"""Readings on the registry, submissions (acknowledgements, idempotency keys), submission windows.

The skeleton's readings table (meter ids as free text, no registry) is dropped: it held no
production data.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table("readings")
    op.create_table(
        "submissions",
        sa.Column("id", pg.UUID(as_uuid=False), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("submissions_key", "submissions", ["account", "idempotency_key"], unique=True,
                    postgresql_where=sa.text("idempotency_key IS NOT NULL"))
    op.create_table(
        "readings",
        sa.Column("id", pg.UUID(as_uuid=False), nullable=False),
        sa.Column("submission_id", pg.UUID(as_uuid=False), nullable=False),
        sa.Column("meter_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("zone", sa.Text(), server_default="", nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("previous_value", sa.Numeric(), nullable=True),
        sa.Column("consumption", sa.Numeric(), nullable=True),
        sa.Column("rolled_over", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("correction", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["meter_id"], ["meters.id"], name="readings_meter_fk"),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], name="readings_submission_fk"),
        sa.CheckConstraint("zone IN ('', 'day', 'night', 'peak', 'semi_peak')", name="readings_zone"),
        sa.CheckConstraint(
            "source IN ('cabinet','mobile','operator','bank_registry','company_import','smart_meter')", name="readings_source"),
    )
    op.create_index("readings_meter", "readings", ["meter_id", "period", "zone", "submitted_at"])
    op.create_index("readings_submission", "readings", ["submission_id"])
    op.create_table(
        "submission_windows",
        sa.Column("supplier_inn", sa.Text(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("first_day", sa.SmallInteger(), nullable=False),
        sa.Column("last_day", sa.SmallInteger(), nullable=False),
        sa.Column("outside", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Text(), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("supplier_inn", "service"),
        sa.CheckConstraint("first_day BETWEEN 1 AND 28 AND last_day BETWEEN first_day AND 31", name="submission_windows_days"),
        sa.CheckConstraint("outside IN ('next', 'refuse')", name="submission_windows_outside"),
    )
    op.create_index("meters_supplier", "meters", ["supplier_inn", "account"])
    op.create_index("meters_verification_due", "meters", ["verification_due"], postgresql_where=sa.text("status = 'active'"))


def downgrade():
    op.drop_index("meters_verification_due", "meters")
    op.drop_index("meters_supplier", "meters")
    op.drop_table("submission_windows")
    op.drop_table("readings")
    op.drop_table("submissions")
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

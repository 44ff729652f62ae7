"""unmatched payments: posted payments the ledger could not book (unknown account or recipient)

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "unmatched_payments",
        sa.Column("payment_id", sa.Text(), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("amount_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("recipient_inn", sa.Text(), server_default="", nullable=False),
        sa.Column("channel", sa.Text(), server_default="", nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("external_id", sa.Text(), server_default="", nullable=False),
        # account.not_found, recipient.not_found, account.no_recipients
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        # Set when the same payment is booked later (a redelivery after the account arrived).
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("payment_id"),
    )
    op.create_index("unmatched_payments_open", "unmatched_payments", ["received_at"],
                    postgresql_where=sa.text("resolved_at IS NULL"))


def downgrade():
    op.drop_index("unmatched_payments_open", table_name="unmatched_payments", postgresql_where=sa.text("resolved_at IS NULL"))
    op.drop_table("unmatched_payments")

"""ledger entries without foreign keys; `reverses` unique only where set

Revision ID: 0006
Revises: 0005

Closing a period appends millions of entries (1,000,000 accounts x ~6 recipients). Measured
on the development machine, an insert into ledger_entries cost 19.4 us with its three foreign
keys (one RI trigger each per row) and 6.0 us without them: the checks were two thirds of
every posting. Nothing is lost: accounts and organisations are never deleted (an account is
closed, not removed), and every writer of the ledger reads or locks what an entry refers to
in the same transaction before writing (payments and corrections look up the account and the
recipient, the import checks its accounts, a reversal reads the entry it reverses, the close
books lines computed from the accounts table). `reverses` stays unique, through a partial
index that holds only the reversals.
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_account_fkey")
    op.execute("ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_recipient_id_fkey")
    op.execute("ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_reverses_fkey")
    op.execute("ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_reverses_key")
    op.execute("CREATE UNIQUE INDEX ledger_reversal ON ledger_entries (reverses) WHERE reverses IS NOT NULL")


def downgrade():
    op.execute("DROP INDEX ledger_reversal")
    op.execute("ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_reverses_key UNIQUE (reverses)")
    op.execute("ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_reverses_fkey FOREIGN KEY (reverses) REFERENCES ledger_entries (id)")
    op.execute("ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_recipient_id_fkey FOREIGN KEY (recipient_id) "
               "REFERENCES organisations (id)")
    op.execute("ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_account_fkey FOREIGN KEY (account) REFERENCES accounts (number)")

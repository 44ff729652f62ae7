"""Receipt codes in the database: only the account's generation (the codes are derived)."""
from __future__ import annotations

import sqlalchemy as sa

from accruals.storage.tables import accounts

_GENERATION = sa.select(accounts.c.receipt_code_generation).where(accounts.c.number == sa.bindparam("account"))
_ROTATE = (
    sa.update(accounts)
    .where(accounts.c.number == sa.bindparam("account"))
    .values(receipt_code_generation=accounts.c.receipt_code_generation + 1, updated_at=sa.func.now())
    .returning(accounts.c.receipt_code_generation)
)


def generation_of(conn: sa.Connection, account: str) -> int | None:
    """The account's receipt code generation; None when there is no such account."""
    return conn.execute(_GENERATION, {"account": account}).scalar_one_or_none()


def rotate(conn: sa.Connection, account: str) -> int | None:
    """Increment the account's generation; the new one, or None when there is no such account."""
    return conn.execute(_ROTATE, {"account": account}).scalar_one_or_none()

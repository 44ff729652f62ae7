"""The ledger in the accruals database: booking entries (insert only), reading them back,
balances as of a date, and the payments that could not be booked."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from accruals.domain import ledger as domain
from accruals.domain import queries
from accruals.storage.tables import (
    account_services,
    ledger_entries,
    organisations,
    periods,
    services,
    unmatched_payments,
)

_l = ledger_entries.c
_ENTRY_COLUMNS = (_l.id, _l.account, _l.recipient_id, _l.kind, _l.amount_kopecks, _l.entry_date, _l.period,
                  _l.service_code, _l.reason, _l.reference, _l.reverses, _l.created_by)


def _entry(row, inn: str = "") -> domain.LedgerEntry:
    return domain.LedgerEntry(
        id=row.id, account=row.account, recipient_id=row.recipient_id, kind=row.kind, amount=row.amount_kopecks,
        entry_date=row.entry_date, period=row.period, service_code=row.service_code, reason=row.reason,
        reference=row.reference, reverses=row.reverses, created_by=row.created_by, recipient_inn=inn,
    )


# -- booking --------------------------------------------------------------------------------

def insert_entry(conn: sa.Connection, entry: domain.NewEntry) -> int | None:
    """Book one entry; None when its source is booked already (the unique (kind, reference)
    or `reverses`): nothing is written then and the transaction stays usable."""
    statement = (
        pg.insert(ledger_entries)
        .values(account=entry.account, recipient_id=entry.recipient_id, kind=entry.kind, amount_kopecks=entry.amount,
                entry_date=entry.entry_date, period=entry.period, service_code=entry.service_code, reason=entry.reason,
                reference=entry.reference, reverses=entry.reverses, created_by=entry.created_by)
        .on_conflict_do_nothing()
        .returning(_l.id)
    )
    return conn.execute(statement).scalar()


def entry(conn: sa.Connection, entry_id: int) -> domain.LedgerEntry | None:
    row = conn.execute(sa.select(*_ENTRY_COLUMNS).where(_l.id == entry_id)).first()
    return _entry(row) if row else None


def entry_by_reference(conn: sa.Connection, kind: str, reference: str) -> domain.LedgerEntry | None:
    row = conn.execute(
        sa.select(*_ENTRY_COLUMNS).where(_l.kind == kind, _l.reference == reference, _l.reference != "")
    ).first()
    return _entry(row) if row else None


def reversal_of(conn: sa.Connection, entry_id: int) -> int | None:
    return conn.execute(sa.select(_l.id).where(_l.reverses == entry_id)).scalar()


def payment_booked(conn: sa.Connection, payment_id: str) -> bool:
    return conn.execute(
        sa.select(_l.id).where(_l.kind == domain.PAYMENT, _l.reference == domain.payment_reference(payment_id))
    ).first() is not None


# -- reading --------------------------------------------------------------------------------

def entries_of(conn: sa.Connection, account: str, until: dt.date | None = None) -> list[domain.LedgerEntry]:
    """Every entry of the account (dated on or before `until`), in (date, id) order, with the
    recipient's INN."""
    query = (
        sa.select(*_ENTRY_COLUMNS, organisations.c.inn)
        .join(organisations, organisations.c.id == _l.recipient_id)
        .where(_l.account == account)
        .order_by(_l.entry_date, _l.id)
    )
    if until is not None:
        query = query.where(_l.entry_date <= until)
    return [_entry(row, row.inn) for row in conn.execute(query)]


def recipients_of(conn: sa.Connection, account: str, on: dt.date) -> list[int]:
    """The account's recipients: every organisation with entries on it, and the recipients
    of the services it is charged for on `on`; by id."""
    a = account_services.c
    with_entries = sa.select(_l.recipient_id.label("id")).where(_l.account == account)
    by_services = (
        sa.select(services.c.recipient_id.label("id"))
        .join(account_services, a.service_code == services.c.code)
        .where(a.account == account, a.valid_from <= on, sa.or_(a.valid_to.is_(None), a.valid_to >= on))
    )
    union = sa.union(with_entries, by_services).subquery()
    return list(conn.execute(sa.select(union.c.id).order_by(union.c.id)).scalars())


def recipient_by_inn(conn: sa.Connection, inn: str, account: str | None = None) -> domain.Recipient | None:
    """The organisation with this INN; with several (different KPP), the one the account has
    entries with, else the lowest id."""
    o = organisations.c
    query = sa.select(o.id, o.inn, o.name).where(o.inn == inn)
    if account is not None:
        has_entries = sa.exists().where(_l.account == account, _l.recipient_id == o.id)
        query = query.order_by(sa.case((has_entries, 0), else_=1), o.id)
    else:
        query = query.order_by(o.id)
    row = conn.execute(query.limit(1)).first()
    return domain.Recipient(row.id, row.inn, row.name) if row else None


def service_exists(conn: sa.Connection, code: str) -> bool:
    return conn.execute(sa.select(services.c.code).where(services.c.code == code)).first() is not None


def period_closed(conn: sa.Connection, period: dt.date) -> bool:
    status = conn.execute(sa.select(periods.c.status).where(periods.c.period == period)).scalar()
    return status == "closed"


# One statement per call: the accounts that exist, each with its sum per recipient. The sums
# read only the covering index ledger_account_date (account, entry_date) INCLUDE
# (recipient_id, amount_kopecks).
_BALANCES = """
    SELECT a.number, o.id, o.inn, o.name, s.kopecks
      FROM accounts AS a
      LEFT JOIN (SELECT account, recipient_id, sum(amount_kopecks)::bigint AS kopecks
                   FROM ledger_entries
                  WHERE account = ANY(%(accounts)s) AND entry_date <= %(as_of)s
                  GROUP BY account, recipient_id) AS s ON s.account = a.number
      LEFT JOIN organisations AS o ON o.id = s.recipient_id
     WHERE a.number = ANY(%(accounts)s)
     ORDER BY a.number, o.id
"""


def balances(conn: sa.Connection, accounts: list[str], as_of: dt.date) -> dict[str, list[queries.RecipientBalance]]:
    """{account: [(recipient, kopecks)] by recipient id} for those of the distinct `accounts`
    that exist (an account without entries up to `as_of` maps to [])."""
    result: dict[str, list[queries.RecipientBalance]] = {}
    recipients: dict[int, domain.Recipient] = {}
    balance = queries.RecipientBalance
    # The hot path of GetBalances: straight through the driver's cursor (in the same
    # transaction), without SQLAlchemy's parameter and row processing for ~300 rows a call.
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(_BALANCES, {"accounts": accounts, "as_of": as_of})
        rows = cursor.fetchall()
    finally:
        cursor.close()
    for number, rid, inn, name, kopecks in rows:
        sums = result.get(number)
        if sums is None:
            sums = result[number] = []
        if rid is not None:
            recipient = recipients.get(rid)
            if recipient is None:
                recipient = recipients[rid] = domain.Recipient(rid, inn, name)
            sums.append(balance(recipient, kopecks))
    return result


# -- unmatched payments ---------------------------------------------------------------------

def record_unmatched(conn: sa.Connection, payment: domain.Payment, reason: str) -> None:
    conn.execute(
        pg.insert(unmatched_payments)
        .values(payment_id=payment.payment_id, account=payment.account, amount_kopecks=payment.amount,
                recipient_inn=payment.recipient_inn, channel=payment.channel, paid_at=payment.paid_at,
                external_id=payment.external_id, reason=reason)
        .on_conflict_do_nothing()
    )


def resolve_unmatched(conn: sa.Connection, payment_id: str) -> None:
    u = unmatched_payments.c
    conn.execute(
        sa.update(unmatched_payments).where(u.payment_id == payment_id, u.resolved_at.is_(None))
        .values(resolved_at=sa.func.now())
    )


def unmatched(conn: sa.Connection, payment_id: str):
    return conn.execute(sa.select(unmatched_payments).where(unmatched_payments.c.payment_id == payment_id)).first()

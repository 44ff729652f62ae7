"""Personal accounts in the accruals database: the write lock of an account, one account
with its address and services, and operators' search."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from accruals.domain import accounts as domain
from accruals.domain import queries
from accruals.storage.tables import account_services, accounts, houses, premises

_a, _h, _p = accounts.c, houses.c, premises.c


def lock(conn: sa.Connection, number: str) -> bool:
    """Take the account's write lock for this transaction; False if there is no such account.

    Every writer of an account's ledger (payments, corrections, reversals) takes it first, so
    a payment's split reads the debts no other writer is changing, and one account's entries
    and events are written in one order. FOR NO KEY UPDATE: inserts elsewhere that only check
    the foreign key to the account (FOR KEY SHARE) are not blocked."""
    row = conn.execute(sa.select(_a.number).where(_a.number == number).with_for_update(key_share=True)).first()
    return row is not None


def exists(conn: sa.Connection, number: str) -> bool:
    return conn.execute(sa.select(_a.number).where(_a.number == number)).first() is not None


_VIEW_COLUMNS = (_a.number, _a.els, _h.address, _h.code.label("house_code"), _p.number.label("premise_number"),
                 _a.total_area, _a.heated_area, _a.living_area, _a.residents, _a.registered, _a.owner_name, _a.status,
                 _a.opened_on, _a.closed_on)
_VIEW = (sa.select(*_VIEW_COLUMNS)
         .select_from(accounts.join(premises, _p.id == _a.premise_id).join(houses, _h.id == _p.house_id)))


def _services(conn: sa.Connection, numbers: list[str], on: dt.date) -> dict[str, tuple[str, ...]]:
    s = account_services.c
    rows = conn.execute(
        sa.select(s.account, s.service_code).distinct()
        .where(s.account.in_(numbers), s.valid_from <= on, sa.or_(s.valid_to.is_(None), s.valid_to >= on))
        .order_by(s.account, s.service_code)
    )
    result: dict[str, list[str]] = {}
    for account, code in rows:
        result.setdefault(account, []).append(code)
    return {k: tuple(v) for k, v in result.items()}


def _views(conn: sa.Connection, rows, on: dt.date) -> list[domain.Account]:
    rows = list(rows)
    services = _services(conn, [r.number for r in rows], on) if rows else {}
    return [
        domain.Account(
            number=r.number, els=r.els or "", house_address=r.address, house_code=r.house_code,
            premise_number=r.premise_number, total_area=r.total_area, heated_area=r.heated_area,
            living_area=r.living_area, residents=r.residents, registered=r.registered, owner_name=r.owner_name,
            status=r.status, opened_on=r.opened_on, closed_on=r.closed_on, services=services.get(r.number, ()),
        )
        for r in rows
    ]


def account(conn: sa.Connection, number: str, on: dt.date) -> domain.Account | None:
    found = _views(conn, conn.execute(_VIEW.where(_a.number == number)), on)
    return found[0] if found else None


def _number_range(prefix: str) -> tuple[str, str]:
    """[prefix, upper): every string starting with the digits `prefix` sorts inside it, so the
    primary key's b-tree answers (LIKE 'p%' cannot use it under a non-C collation)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _word_condition(word: str):
    if word.isdigit():
        # A house or flat number: whole numbers in the address, or the flat itself.
        return sa.or_(_p.number == word, _h.address.op("~")(sa.literal(r"\m" + word + r"\M")))
    return sa.or_(_owner_word(word), _h.address.ilike(queries.like_pattern(word)))


# A word matching at most this many accounts narrows the search to those accounts.
NARROW = 5000


_OWNER_WORDS = sa.func.to_tsvector(sa.literal_column("'simple'::regconfig"), _a.owner_name)


def _owner_word(word: str):
    """Owners with a word of their name beginning with `word` (any case), through the
    accounts_owner_words index; a word that is not a name's word (no letter or digit)
    matches no owner."""
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "':*"
    if not any(c.isalnum() for c in word):
        return sa.false()
    return _OWNER_WORDS.op("@@")(sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), quoted))


def _candidates(word: str):
    """Account numbers one word can match: owners (the accounts_owner_words index),
    addresses (the small houses table). UNION ALL, so that a LIMIT stops it early."""
    pattern = queries.like_pattern(word)
    by_owner = sa.select(_a.number).where(_owner_word(word))
    by_address = (sa.select(_a.number)
                  .select_from(accounts.join(premises, _p.id == _a.premise_id).join(houses, _h.id == _p.house_id))
                  .where(_h.address.ilike(pattern)))
    return sa.union_all(by_owner, by_address)


def _narrowed(conn: sa.Connection, words: tuple[str, ...]) -> set[str] | None:
    """The accounts every narrow word matches (a word matching more than NARROW accounts does
    not narrow), or None when no word is narrow."""
    result = None
    for word in sorted((w for w in words if not w.isdigit()), key=len, reverse=True):
        numbers = list(conn.execute(_candidates(word).limit(NARROW + 1)).scalars())
        if len(numbers) > NARROW:
            continue
        result = set(numbers) if result is None else result & set(numbers)
        if not result:
            break
    return result


def search(conn: sa.Connection, query: queries.SearchQuery, on: dt.date) -> tuple[list[domain.Account], bool]:
    """One page of accounts in number order, after `query.after`; (page, whether more follow).

    Words: each must match (owner or address; a number word: house or flat number). When
    some word matches few accounts, only those are looked at; when every word matches many,
    the accounts are walked in number order and the page fills quickly."""
    statement = _VIEW
    if query.number_prefix:
        low, high = _number_range(query.number_prefix)
        statement = statement.where(_a.number >= low, _a.number < high, _a.number.startswith(query.number_prefix))
    else:
        narrowed = _narrowed(conn, query.words)
        if narrowed is not None:
            if not narrowed:
                return [], False
            statement = statement.where(_a.number == sa.any_(sa.literal(sorted(narrowed), pg.ARRAY(sa.Text))))
        for word in query.words:
            statement = statement.where(_word_condition(word))
    if query.after:
        statement = statement.where(_a.number > query.after)
    rows = list(conn.execute(statement.order_by(_a.number).limit(query.page_size + 1)))
    more = len(rows) > query.page_size
    return _views(conn, rows[: query.page_size], on), more

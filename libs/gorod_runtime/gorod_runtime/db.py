"""Database access shared by every service: engines, the outbox and inbox tables, migrations."""
from __future__ import annotations

import pathlib
import re
import time

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from gorod_runtime.settings import database_url_for

# The kit's tables live in every service's own database, created by its first migration.
kit_metadata = sa.MetaData()


class _Xid8(sa.types.UserDefinedType):
    """PostgreSQL's 64-bit transaction id."""

    cache_ok = True

    def get_col_spec(self, **kw):
        return "xid8"


pg.base.ischema_names["xid8"] = _Xid8  # so reflection (Alembic's autogenerate) knows it


outbox = sa.Table(
    "outbox",
    kit_metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", pg.UUID(as_uuid=False), nullable=False, unique=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("envelope", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    # The writing transaction: the relay publishes a row only once every older transaction
    # has ended, so a row committed late can never overtake one of the same account.
    sa.Column("created_xid", _Xid8(), nullable=False, server_default=sa.text("pg_current_xact_id()")),
    # The relay scans only what is unpublished; published rows stay for replay until pruned.
    sa.Index("outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")),
    sa.Index("outbox_published_at", "published_at"),
)

inbox = sa.Table(
    "inbox",
    kit_metadata,
    sa.Column("consumer_group", sa.Text, primary_key=True),
    sa.Column("event_id", pg.UUID(as_uuid=False), primary_key=True),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("clock_timestamp()")),
)


def create_kit_tables(op) -> None:
    """Create the outbox and inbox tables; call from a service's first Alembic revision."""
    kit_metadata.create_all(bind=op.get_bind())


def drop_kit_tables(op) -> None:
    kit_metadata.drop_all(bind=op.get_bind())


def sqlalchemy_url(url: str) -> str:
    """Use psycopg2 for plain postgresql:// URLs: it cooperates with eventlet (see DESIGN.md)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


# A pooled connection idle longer than this is pinged before use (SELECT 1); a busy one is not.
PING_AFTER_IDLE_S = 1.0


def make_engine(url: str, pool_size: int = 10, **kwargs) -> sa.Engine:
    """The kit's engine. Connections idle for PING_AFTER_IDLE_S are checked before use, so a
    restarted server costs no request after a quiet spell; under load (a connection back in the
    pool within a second) the check's round trip is saved — at the deadline peak it was one of
    five per submission. A server lost while connections are busy fails the statements then
    running, and their connections are replaced (SQLAlchemy invalidates on a disconnect)."""
    engine = sa.create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        connect_args={"connect_timeout": 5, "application_name": kwargs.pop("application_name", "gorod")},
        **kwargs,
    )
    sa.event.listen(engine, "checkin", _checked_in)
    sa.event.listen(engine, "checkout", lambda dbapi_connection, record, _proxy: _ping_if_idle(engine, dbapi_connection, record))
    return engine


def _checked_in(_dbapi_connection, record) -> None:
    if record is not None:
        record.info["gorod.idle_since"] = time.monotonic()


def _ping_if_idle(engine: sa.Engine, dbapi_connection, record) -> None:
    idle_since = record.info.get("gorod.idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
        return                          # new, or busy: used within the last second
    try:
        engine.dialect.do_ping(dbapi_connection)     # SQLAlchemy's own ping (outside any transaction)
    except engine.dialect.loaded_dbapi.Error as lost:
        raise sa.exc.DisconnectionError(str(lost)) from lost   # the pool drops it and tries another


class Prepared:
    """A statement PREPAREd once per database connection, then run by name.

    psycopg2 sends each statement as text, so the server plans it on every call; for the short
    statements of a hot path (a resident's submission at the deadline peak) planning costs the
    server more than executing (measured: 0.2-0.3 ms planning against 0.07-0.1 ms executing).
    A prepared statement is planned once per connection (then PostgreSQL's plan cache decides).

        LOCK = Prepared("meters_lock", "SELECT ... WHERE id = ANY(:ids) AND account = :account",
                        ids="bigint[]", account="text")
        LOCK.execute(conn, {"ids": [...], "account": "..."})

    The first use on a connection prepares it (one more round trip); a prepared statement
    outlives transactions, rollbacks included, and goes with its connection. Names are unique.
    """

    _sql_of: dict[str, str] = {}

    def __init__(self, name: str, sql: str, /, **params: str):
        if Prepared._sql_of.setdefault(name, sql) != sql:
            raise ValueError(f"a different statement is already prepared as {name!r}")
        self.name, self.params = name, params
        body = sql
        for position, param in enumerate(params, start=1):
            body, count = re.subn(rf"(?<![:\w]):{param}\b", f"${position}", body)
            if not count:
                raise ValueError(f"{name}: the statement has no :{param}")
        types = ", ".join(params.values())
        self.prepare = f"PREPARE {name} ({types}) AS {body}" if params else f"PREPARE {name} AS {body}"
        arguments = ", ".join(f"CAST(:{param} AS {kind})" for param, kind in params.items())
        self.statement = sa.text(f"EXECUTE {name}({arguments})" if params else f"EXECUTE {name}")

    def execute(self, conn: sa.Connection, params: dict | None = None) -> sa.CursorResult:
        prepared = conn.connection.info.setdefault("gorod.prepared", set())
        if self.name not in prepared:
            # Through the Connection, not a raw cursor: it begins the Connection's transaction (a
            # failed PREPARE is rolled back with it) and a lost server invalidates the connection
            # (its set goes with it). No parameters: the text is sent as it is.
            conn.exec_driver_sql(self.prepare, execution_options={"no_parameters": True})
            prepared.add(self.name)
        return conn.execute(self.statement, params or {})


def check_connection(url: str) -> None:
    """Raise ConnectionError with one readable line if the database cannot be reached."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConnectionError(f"cannot reach database {redact(url)}: {reason}") from None
    finally:
        engine.dispose()


def redact(url: str) -> str:
    """The URL without its password, for logs and error lines."""
    return sa.engine.make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)


def upgrade(migrations_dir: pathlib.Path, url: str, revision: str = "head") -> None:
    """Run a service's Alembic migrations against `url`."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["database_url"] = url
    command.upgrade(config, revision)


def ensure_database(server_url: str, dbname: str) -> None:
    """Create database `dbname` on the server if it does not exist."""
    check_connection(database_url_for(server_url, "postgres"))
    engine = make_engine(database_url_for(server_url, "postgres"), pool_size=1, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": dbname}).first()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{dbname}"'))
    finally:
        engine.dispose()


_MIGRATION_LOCK_KEY = 0x60_0D_0A_1E


def run_migrations(context, target_metadata=None) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    import os

    url = context.config.attributes.get("database_url") or os.environ.get("GOROD_DB_URL")
    if not url:
        raise RuntimeError("no database URL: pass it in the Alembic config or set GOROD_DB_URL")
    engine = make_engine(url, pool_size=1, application_name="gorod-migrate")
    try:
        with engine.connect() as connection:
            # Pods starting together each run their migrations: one at a time.
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            connection.commit()  # the lock is the session's; Alembic runs its own transaction
            try:
                # Autogenerate compares against the service's tables and the kit's.
                targets = [kit_metadata] + ([target_metadata] if target_metadata is not None else [])
                context.configure(connection=connection, target_metadata=targets)
                with context.begin_transaction():
                    context.run_migrations()
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                connection.commit()
    finally:
        engine.dispose()

"""db.Prepared: statements planned once per connection, against a real PostgreSQL."""
import pytest
import sqlalchemy as sa

from gorod_runtime import db

ECHO_SQL = "SELECT CAST(:ids AS bigint[]) AS ids, :name || '::text' AS name, '1'::int AS one"
ECHO = db.Prepared("test_prepared_echo", ECHO_SQL, ids="bigint[]", name="text")


@pytest.fixture
def engine(sample_db):
    engine = db.make_engine(sample_db, pool_size=1)
    yield engine
    engine.dispose()


def test_placeholders_become_positions_and_casts_stay():
    assert ECHO.prepare == ("PREPARE test_prepared_echo (bigint[], text) AS "
                            "SELECT CAST($1 AS bigint[]) AS ids, $2 || '::text' AS name, '1'::int AS one")
    assert str(ECHO.statement) == "EXECUTE test_prepared_echo(CAST(:ids AS bigint[]), CAST(:name AS text))"


def test_one_name_one_statement_and_every_parameter_used():
    assert db.Prepared("test_prepared_echo", ECHO_SQL, ids="bigint[]", name="text").name == "test_prepared_echo"
    with pytest.raises(ValueError, match="already prepared"):
        db.Prepared("test_prepared_echo", "SELECT 2")
    with pytest.raises(ValueError, match="no :missing"):
        db.Prepared("test_prepared_other", "SELECT :present", present="int", missing="int")



def test_prepared_once_per_connection_and_it_outlives_a_rollback(engine):
    with engine.connect() as conn:
        row = ECHO.execute(conn, {"ids": [3, 1], "name": "x"}).one()
        assert (row.ids, row.name, row.one) == ([3, 1], "x::text", 1)
        conn.rollback()
        assert ECHO.execute(conn, {"ids": [], "name": "y"}).one().name == "y::text"
        prepared = conn.execute(sa.text("SELECT count(*) FROM pg_prepared_statements WHERE name = 'test_prepared_echo'"))
        assert prepared.scalar() == 1
    with engine.connect() as conn:                    # the pooled connection keeps it
        assert ECHO.execute(conn, {"ids": [7], "name": "z"}).one().ids == [7]
        conn.invalidate()                             # a new connection prepares it again
    with engine.connect() as conn:
        assert ECHO.execute(conn, {"ids": [8], "name": "w"}).one().ids == [8]


LATER = db.Prepared("test_prepared_later", "SELECT count(*) FROM test_prepared_later_table")


def test_a_failed_prepare_fails_the_connections_transaction_as_any_statement(engine):
    """PREPARE is the first statement of the connection's transaction; when it fails, rolling back
    the connection must end that transaction, and the next use prepares again."""
    with engine.connect() as conn:
        with pytest.raises(sa.exc.ProgrammingError):           # the table does not exist yet
            LATER.execute(conn)
        conn.rollback()
        conn.execute(sa.text("CREATE TABLE test_prepared_later_table (x int)"))
        conn.commit()
        assert LATER.execute(conn).scalar() == 0


def test_a_connection_lost_before_its_first_prepare_is_invalidated(engine):
    """The server goes away (a restart) between the checkout and the first PREPARE: the caller gets
    the disconnect as SQLAlchemy reports any (not a second error when the block ends), the pool
    drops the connection, and the next checkout prepares on a new one."""
    other = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with other.connect() as killer:
            killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(sa.exc.OperationalError) as error:
            ECHO.execute(conn, {"ids": [1], "name": "x"})
        assert error.value.connection_invalidated
    other.dispose()
    with engine.connect() as conn:
        assert ECHO.execute(conn, {"ids": [2], "name": "y"}).one().ids == [2]

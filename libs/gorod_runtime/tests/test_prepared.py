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

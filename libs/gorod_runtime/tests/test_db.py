"""The kit's engine against a real PostgreSQL: idle connections are checked before use, busy ones are not."""
import pytest
import sqlalchemy as sa

from gorod_runtime import db


@pytest.fixture
def engine(sample_db):
    engine = db.make_engine(sample_db, pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture
def kill(sample_db):
    """Terminate a backend from another engine (as a server restart would, for that connection)."""
    other = db.make_engine(sample_db, pool_size=1)

    def kill(pid: int) -> None:
        with other.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    yield kill
    other.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()


def test_a_connection_lost_while_idle_is_replaced_before_use(engine, kill, monkeypatch):
    first = backend_pid(engine)
    kill(first)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)       # every pooled connection counts as idle
    assert backend_pid(engine) != first                      # the ping found it dead: a new one, no error


def test_a_busy_connection_is_not_pinged_and_a_loss_fails_once(engine, kill, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)    # every pooled connection counts as busy
    first = backend_pid(engine)
    kill(first)
    with pytest.raises(sa.exc.OperationalError), engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))                    # the statement then running fails...
    assert backend_pid(engine) != first                      # ...and the connection is replaced

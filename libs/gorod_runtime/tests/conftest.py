import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).parent
SAMPLE_MIGRATIONS = HERE / "sample" / "migrations"
SAMPLE_SERVICE = "sample.sample_service:SampleService"


@pytest.fixture
def sample_db(make_database):
    return make_database("sample", migrations=SAMPLE_MIGRATIONS)


@pytest.fixture
def start_sample(start_service, sample_db, monkeypatch):
    """Start the sample service (importable through PYTHONPATH) on its own database."""
    monkeypatch.setenv("PYTHONPATH", str(HERE) + ":" + ":".join(sys.path))
    return lambda **env: start_service(SAMPLE_SERVICE, sample_db, **env)

from alembic import context

from accruals.storage.tables import metadata
from gorod_runtime.db import run_migrations

run_migrations(context, metadata)

from alembic import context

from gorod_runtime.db import run_migrations

run_migrations(context)

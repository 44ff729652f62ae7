from alembic import context

from gorod_runtime.db import run_migrations
from payments.storage import metadata

run_migrations(context, metadata)

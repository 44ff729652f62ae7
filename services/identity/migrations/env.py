from alembic import context

from gorod_runtime.db import run_migrations
from identity.storage import metadata

run_migrations(context, metadata)

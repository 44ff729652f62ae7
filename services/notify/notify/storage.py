"""The notify database: tables and queries (the kit's outbox and inbox so far)."""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

"""The meters database: tables (tables.py) and queries, one module per area."""
from meters.storage.tables import metadata

__all__ = ["metadata"]

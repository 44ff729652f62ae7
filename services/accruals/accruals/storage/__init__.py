"""The accruals database: tables (tables.py) and queries, one module per area."""
from accruals.storage.tables import metadata

__all__ = ["metadata"]

"""The meters database: tables (tables.py) and queries, one module per area."""
from meters.storage.readings import add_readings, previous_values
from meters.storage.tables import metadata, meter_status_history, meters, readings

__all__ = ["add_readings", "meter_status_history", "meters", "metadata", "previous_values", "readings"]

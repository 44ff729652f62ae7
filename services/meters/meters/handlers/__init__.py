"""Meters use cases: the only place that combines rules and storage."""

"""Meters rules: pure functions and dataclasses, no I/O (registry, windows, readings)."""

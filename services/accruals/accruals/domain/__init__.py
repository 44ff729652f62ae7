"""Accruals rules: pure functions and dataclasses, no I/O; one module per area."""

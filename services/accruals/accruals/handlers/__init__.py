"""Accruals use cases: the only place that combines rules and storage; one module per area."""

"""Gorod accruals service."""

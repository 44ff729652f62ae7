"""Gorod identity service."""

"""Gorod API gateway."""

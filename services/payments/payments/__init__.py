"""Gorod payments service."""

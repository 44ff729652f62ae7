"""Gorod notify service."""

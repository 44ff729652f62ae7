"""Gorod meters service."""

"""Stub: filled in by the work on this area."""

"""Gorod service kit: one copy of what every service needs (see docs/service-kit.md)."""

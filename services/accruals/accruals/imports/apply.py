"""Accruals' import: its kinds, their merges and the reference data rows point at, run by the
kit's `gorod_runtime.imports.apply` (one import in one transaction)."""
from __future__ import annotations

import psycopg

from accruals.imports.kinds import KINDS, References
from accruals.imports.merge import MERGES
from gorod_runtime.imports import apply
from gorod_runtime.imports.apply import BadRequest
from gorod_runtime.imports.problems import Report

__all__ = ["IMPORTER", "BadRequest", "load_references", "run_import"]


def load_references(cur: psycopg.Cursor) -> References:
    refs = References()
    cur.execute("SELECT id, inn, kpp, kind FROM organisations")
    for org_id, inn, kpp, kind in cur:
        refs.organisations[(inn, kpp)] = org_id
        refs.organisation_kinds[org_id] = kind
    cur.execute("SELECT code, recipient_id FROM services")
    refs.services = dict(cur.fetchall())
    return refs


IMPORTER = apply.Importer(service="accruals", kinds=KINDS, merges=MERGES, load_references=load_references)


def run_import(db_url: str, kind_name: str, path: str, *, encoding: str = "auto", operator: str = "",
               filename: str | None = None) -> Report:
    """Import one file into the accruals database (see `gorod_runtime.imports.apply.run_import`)."""
    return apply.run_import(IMPORTER, db_url, kind_name, path, encoding=encoding, operator=operator, filename=filename)

"""The meters service's import: its kind and merge, run by the kit's `gorod_runtime.imports.apply`.

The registry's rows point at nothing the service owns (accounts are accruals'; a supplier is
its INN), so no reference data is loaded."""
from __future__ import annotations

from gorod_runtime.imports import apply
from gorod_runtime.imports.problems import Report
from meters.imports.kinds import KINDS
from meters.imports.merge import MERGES

IMPORTER = apply.Importer(service="meters", kinds=KINDS, merges=MERGES)


def run_import(db_url: str, kind_name: str, path: str, *, encoding: str = "auto", operator: str = "",
               filename: str | None = None) -> Report:
    """Import one file into the meters database (see `gorod_runtime.imports.apply.run_import`)."""
    return apply.run_import(IMPORTER, db_url, kind_name, path, encoding=encoding, operator=operator, filename=filename)

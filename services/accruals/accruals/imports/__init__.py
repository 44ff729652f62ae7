"""Bulk import of reference data and ledger lines from housing companies and suppliers.

The machinery (reading files, checking rows, the staging COPY, one import in one transaction)
is the kit's `gorod_runtime.imports`; what is accruals' own is here:

- `kinds`: what each kind of file holds and how one row of it is checked, pure Python.
- `merge`: per kind, the staging table and the set-based SQL that checks and merges it.
- `apply`: accruals' `Importer` (kinds, merges, the organisations and services rows point at).
- `request`: the header of an ImportFile call, with accruals' kinds.

The formats are documented in docs/imports.md.
"""

"""Bulk import of the meter registry from housing companies and suppliers.

The machinery (reading files, checking rows, the staging COPY, one import in one transaction)
is the kit's `gorod_runtime.imports`; what is the meters service's own is here:

- `kinds`: the columns of a meters file and how one row is checked, pure Python.
- `merge`: the staging table, the set-based checks and the merge into `meters` and
  `meter_status_history`.
- `apply`: the meters `Importer`.
- `request`: the header of an ImportFile call, with the meters kinds.

The format is documented in docs/meters-import.md.
"""

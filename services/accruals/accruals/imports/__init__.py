"""Bulk import of reference data and ledger lines from housing companies and suppliers.

- `problems`: a problem (line, field, stable code, English message), the bounded collector, the report.
- `fields`: parsing and checking of one value (INN, decimals, dates, booleans...), pure Python.
- `kinds`: what each kind of file holds and how one row of it is checked, pure Python.
- `formats`: reading CSV (UTF-8 or cp1251), JSON and JSON Lines files as a stream of rows.
- `merge`: per kind, the staging table and the set-based SQL that checks and merges it.
- `apply`: one import, start to end: hash, validate, COPY, check, merge, record (psycopg 3).

The formats are documented in docs/imports.md.
"""

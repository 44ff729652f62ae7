"""Bulk import of files from housing companies and suppliers: the machinery every service shares.

A file holds one kind of record; it is checked as a whole and applied all or nothing, and the
answer is a report naming the line and field of every problem. A service brings its kinds of
file (`rows.Kind`), the merge of each into its tables (`merge.Merge`) and the reference data its
rows point at, as one `apply.Importer`; the rest is here:

- `problems`: a problem (line, field, stable code, English message), the bounded collector, the report.
- `fields`: parsing and checking of one value (INN, decimals, dates, booleans...), pure Python.
- `rows`: a kind's fields and the checker that applies them to a file's rows, pure Python.
- `formats`: reading CSV (UTF-8 or cp1251), JSON and JSON Lines files as a stream of rows.
- `merge`: the staging table, its COPY writer, SQL checks and bulk-load helpers; the `Merge` base.
- `parallel`: a large CSV file checked in worker processes (exact serial fallback).
- `apply`: one import, start to end: hash, validate, COPY, check, merge, record (psycopg 3).
- `cli`: the ``python -m <service>.importer`` command line.
- `request`, `stream`: the ImportFile gRPC method of a nameko service (spool, run the CLI).

psycopg 3 (the importer process only) and ijson are the kit's ``imports`` extra; a nameko
service imports only `request`, `stream`, `problems` and `formats`. The formats are in
docs/imports.md.
"""

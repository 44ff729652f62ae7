"""The monthly run: `python -m accruals.run --period YYYY-MM [--partition I/N]` (docs/monthly-run.md).

Runs outside nameko, as its own process (psycopg 3 and COPY): computes every account of the
period with the charge engine, writes the charge lines of a draft run, and `close` freezes
the period and posts the lines to the ledger. Nothing here is imported by the service except
the pure `partition` and `explain` modules.
"""

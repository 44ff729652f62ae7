"""The meters file in SQL: the staging table, the set-based checks and the merge.

A plan table puts each staged row beside the meter it names (by account, service and serial):
an existing meter's id, or a new id from the meters' identity sequence, and whether anything
differs. Then, in one transaction: new meters are inserted; existing meters that differ are
updated (an empty status keeps theirs); every new meter and every changed status gets a row in
`meter_status_history` with the import as its source. Meters that are not in the file are left
alone. An initial load (see `bulk_begin`) drops and remakes the two tables' keys and indexes.
"""
from __future__ import annotations

from gorod_runtime.imports.merge import STAGE, Merge, bulk_begin, bulk_end, duplicates, execute, keyed

KEY = ("account", "service", "serial")
ATTRIBUTES = ("zones", "placement", "unit", "digits", "decimals", "supplier_inn", "installed_on", "sealed_on", "verification_due")


class MetersMerge(Merge):
    kind = "meters"
    columns = ("account text, service text, serial text, zones smallint, placement text, unit text, digits smallint, "
               "decimals smallint, supplier_inn text, installed_on date, sealed_on date, verification_due date, status text, "
               "status_reason text")
    TABLES = ("meters", "meter_status_history")

    def check(self, cur, ctx, problems):
        # The sequence's name once: pg_get_serial_sequence in the row's expression would be
        # looked up in the catalogue for every new meter.
        execute(cur, "SELECT pg_get_serial_sequence('meters', 'id')")
        sequence = cur.fetchone()[0]
        attrs = ", ".join(f"s.{c}" for c in ATTRIBUTES)
        current = ", ".join(f"m.{c}" for c in ATTRIBUTES)
        execute(cur, f"""
            CREATE TEMP TABLE import_plan ON COMMIT DROP AS
            SELECT s.*, coalesce(m.id, nextval(%(sequence)s::regclass)) AS id, m.id IS NULL AS created,
                   coalesce(s.status, m.status, 'active') AS new_status, m.status AS old_status,
                   m.id IS NOT NULL AND ({attrs}, coalesce(s.status, m.status)) IS DISTINCT FROM ({current}, m.status) AS differs
            FROM {STAGE} s LEFT JOIN meters m USING ({', '.join(KEY)})""", {"sequence": sequence})
        execute(cur, "SELECT count(*) FILTER (WHERE created) FROM import_plan")
        ctx.notes["created"] = cur.fetchone()[0]
        if problems or ctx.notes["created"] < ctx.rows:
            self.duplicates(cur, problems)
        # else: every meter is new, so one twice in the file breaks the meters' key when it is
        # inserted (or made again after a bulk load); `apply` then reports it (saves a pass
        # over a large initial load).

    def duplicates(self, cur, problems):
        duplicates(cur, problems, KEY, "meter (account, service, serial)", field="serial")

    def apply(self, cur, ctx, problems):
        source = f"import:{ctx.import_id}"
        restore = bulk_begin(cur, self.TABLES, ctx.rows)
        columns = ", ".join(KEY + ATTRIBUTES)

        def write_meters() -> None:
            execute(cur, f"""
                INSERT INTO meters (id, {columns}, status)
                SELECT id, {columns}, new_status FROM import_plan WHERE created""")
            execute(cur, f"""
                UPDATE meters m SET {', '.join(f'{c} = p.{c}' for c in ATTRIBUTES)}, status = p.new_status, updated_at = now()
                FROM import_plan p WHERE m.id = p.id AND p.differs""")
            execute(cur, """
                INSERT INTO meter_status_history (meter_id, status, reason, source)
                SELECT id, new_status, CASE WHEN created AND status_reason = '' THEN 'registered' ELSE status_reason END, %(source)s
                FROM import_plan WHERE created OR new_status <> old_status ORDER BY line""", {"source": source})
            bulk_end(cur, restore)

        # A meter on two lines of a file of new meters stops the insert (`check` leaves them to the key).
        if not keyed(cur, "import_meters", write_meters, self.duplicates, problems):
            return 0
        execute(cur, "SELECT count(*) FROM import_plan WHERE created OR differs")
        return cur.fetchone()[0]


MERGES: dict[str, Merge] = {m.kind: m for m in (MetersMerge(),)}

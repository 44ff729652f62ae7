"""Compare two runs of one period: which accounts and lines changed, and by how much.

Lines are matched by account and (service, recipient, component, zone, band, reason): their
amounts, volumes, tariffs and methods are compared. Only the accounts both runs cover are
compared (a run of partition 1/3 against one of 1/1 compares a third of the accounts). The
result is JSON: counts, totals and the delta, the delta per service, and the accounts with
the largest changes (`limit`) with each changed line. Payable lines only: cash-equivalent
benefits and subsidies (paid by УСЗН, `domain.benefits.INFORMATIONAL_LINES`) are left out.
"""
from __future__ import annotations

from psycopg import sql

from accruals.run import partition
from accruals.run.runner import Refused, run_table
from accruals.storage import runs as storage
from gorod_runtime.period import Period

KEY = ("account", "service_code", "recipient_id", "component", "zone", "band", "reason")


def _side(run: dict, other: dict) -> sql.Composed:
    """The run's lines grouped by KEY, of the accounts the other run covers too."""
    return sql.SQL("""
        SELECT account, service_code, recipient_id, component, zone, band, reason, sum(amount_kopecks) AS kop,
               sum(volume) AS volume, max(tariff) AS tariff, min(method) AS method
        FROM {table} WHERE account_partition(account, {parts}) = {part} AND method NOT IN ({not_owed})
        GROUP BY account, service_code, recipient_id, component, zone, band, reason""").format(
        table=run_table(run["id"]), parts=sql.Literal(other["parts"]), part=sql.Literal(other["part"]),
        not_owed=storage.NOT_OWED)


def compare(db_url: str, period: Period, run_a: int | None = None, run_b: int | None = None, limit: int = 50) -> dict:
    with storage.connect(db_url) as conn:
        cur = conn.cursor()
        runs = {r["id"]: r for r in storage.runs_of(cur, period.first_day) if r["status"] != "failed"}
        if run_a is None:
            finished = sorted(r for r in runs if runs[r]["status"] != "running")
            if len(finished) < 2:
                raise Refused(f"period {period} has fewer than two finished runs to compare")
            run_a, run_b = finished[-2], finished[-1]
        for run_id in (run_a, run_b):
            if run_id not in runs:
                raise Refused(f"no finished run {run_id} of period {period}")
            cur.execute("SELECT to_regclass(%s)", (storage.lines_table(run_id),))
            if cur.fetchone()[0] is None:
                raise Refused(f"the lines of run {run_id} were pruned")
        a, b = runs[run_a], runs[run_b]
        cur.execute(sql.SQL("""
            CREATE TEMP TABLE compared ON COMMIT DROP AS
            SELECT coalesce(a.account, b.account) AS account, coalesce(a.service_code, b.service_code) AS service_code,
                   coalesce(a.recipient_id, b.recipient_id) AS recipient_id, coalesce(a.component, b.component) AS component,
                   coalesce(a.zone, b.zone) AS zone, coalesce(a.band, b.band) AS band, coalesce(a.reason, b.reason) AS reason,
                   a.kop AS a_kop, b.kop AS b_kop, a.volume AS a_volume, b.volume AS b_volume, a.tariff AS a_tariff,
                   b.tariff AS b_tariff, a.method AS a_method, b.method AS b_method
            FROM ({a}) a FULL JOIN ({b}) b USING (account, service_code, recipient_id, component, zone, band, reason)
            WHERE a.kop IS DISTINCT FROM b.kop OR a.volume IS DISTINCT FROM b.volume OR a.tariff IS DISTINCT FROM b.tariff
               OR a.method IS DISTINCT FROM b.method""").format(a=_side(a, b), b=_side(b, a)))
        cur.execute(sql.SQL("""
            SELECT (SELECT count(DISTINCT account) FROM {ta} WHERE account_partition(account, %(bn)s) = %(bp)s),
                   (SELECT count(DISTINCT account) FROM {tb} WHERE account_partition(account, %(an)s) = %(ap)s),
                   (SELECT coalesce(sum(amount_kopecks), 0) FROM {ta} WHERE account_partition(account, %(bn)s) = %(bp)s
                                                                      AND method NOT IN ({not_owed})),
                   (SELECT coalesce(sum(amount_kopecks), 0) FROM {tb} WHERE account_partition(account, %(an)s) = %(ap)s
                                                                      AND method NOT IN ({not_owed}))""").format(
            ta=run_table(run_a), tb=run_table(run_b), not_owed=storage.NOT_OWED),
            {"an": a["parts"], "ap": a["part"], "bn": b["parts"], "bp": b["part"]})
        accounts_a, accounts_b, total_a, total_b = cur.fetchone()
        cur.execute("""
            SELECT count(*) FILTER (WHERE a_kop IS NOT NULL AND b_kop IS NOT NULL),
                   count(*) FILTER (WHERE a_kop IS NULL), count(*) FILTER (WHERE b_kop IS NULL),
                   count(DISTINCT account)
            FROM compared""")
        lines_changed, lines_added, lines_removed, accounts_changed = cur.fetchone()
        cur.execute("""
            SELECT service_code, coalesce(sum(a_kop), 0), coalesce(sum(b_kop), 0), count(*), count(DISTINCT account)
            FROM compared GROUP BY service_code ORDER BY service_code""")
        by_service = [{"service_code": code, "a_kopecks": int(ka), "b_kopecks": int(kb), "delta_kopecks": int(kb - ka),
                       "lines": n, "accounts": accounts}
                      for code, ka, kb, n, accounts in cur.fetchall()]
        cur.execute("""
            WITH top AS (
                SELECT account, coalesce(sum(b_kop), 0) - coalesce(sum(a_kop), 0) AS delta FROM compared
                GROUP BY account ORDER BY abs(coalesce(sum(b_kop), 0) - coalesce(sum(a_kop), 0)) DESC, account LIMIT %s)
            SELECT c.*, top.delta FROM compared c JOIN top USING (account)
            ORDER BY abs(top.delta) DESC, c.account, c.service_code, c.component, c.zone, c.band, c.reason""", (limit,))
        names = [d.name for d in cur.description]
        details: dict[str, dict] = {}
        for row in cur.fetchall():
            r = dict(zip(names, row, strict=True))
            entry = details.setdefault(r["account"], {"account": r["account"], "delta_kopecks": int(r["delta"]), "lines": []})
            entry["lines"].append({
                "service_code": r["service_code"], "recipient_id": r["recipient_id"], "component": r["component"],
                "zone": r["zone"], "band": r["band"], "reason": r["reason"],
                "change": "added" if r["a_kop"] is None else "removed" if r["b_kop"] is None else "changed",
                "a_kopecks": _int(r["a_kop"]), "b_kopecks": _int(r["b_kop"]),
                "delta_kopecks": int((r["b_kop"] or 0) - (r["a_kop"] or 0)),
                "a_volume": _text(r["a_volume"]), "b_volume": _text(r["b_volume"]),
                "a_tariff": _text(r["a_tariff"]), "b_tariff": _text(r["b_tariff"]),
                "a_method": r["a_method"], "b_method": r["b_method"]})
        conn.rollback()
    return {
        "period": str(period),
        "run_a": {"run_id": run_a, "partition": partition.label(a["part"], a["parts"]), "status": a["status"],
                  "settings_hash": a["settings_hash"]},
        "run_b": {"run_id": run_b, "partition": partition.label(b["part"], b["parts"]), "status": b["status"],
                  "settings_hash": b["settings_hash"]},
        "accounts_a": accounts_a, "accounts_b": accounts_b, "accounts_changed": accounts_changed,
        "lines_changed": lines_changed, "lines_added": lines_added, "lines_removed": lines_removed,
        "total_a_kopecks": int(total_a), "total_b_kopecks": int(total_b), "delta_kopecks": int(total_b - total_a),
        "by_service": by_service, "accounts": list(details.values()),
    }


def _int(value) -> int | None:
    return None if value is None else int(value)


def _text(value) -> str | None:
    return None if value is None else str(value)

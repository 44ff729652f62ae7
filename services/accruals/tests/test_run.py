"""The monthly run on a small demo region in a real database (docs/monthly-run.md).

The region: tools/demo_region.py (400 accounts) imported with the importer; readings for half
the accounts (4 months, with gaps), some absences and payments (accruals.run.sample). The
period is March 2026: the opening balances of 1 January are late by then (penalties).
"""
from __future__ import annotations

import collections
import datetime as dt
import json
import os
import pathlib
import subprocess
import sys
from decimal import Decimal

import psycopg
import pytest

from accruals.domain import benefits as bn
from accruals.domain import penalties as penalty_rules
from accruals.domain import subsidies as sb
from accruals.domain.charges import DEFAULT_SETTINGS, compute
from accruals.run import benefits as run_benefits
from accruals.run import compare, explain, partition, runner, sample
from accruals.run.inputs import HISTORY_MONTHS, Reference, months_back
from accruals.storage import runs as storage
from gorod_runtime.imports.apply import connection_url
from gorod_runtime.period import Period

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
import demo_region  # noqa: E402

MARCH = Period(2026, 3)
FEBRUARY = Period(2026, 2)
ACCOUNTS = 400


@pytest.fixture(scope="module")
def region(make_database_module, tmp_path_factory):
    url = connection_url(make_database_module("accruals"))
    folder = tmp_path_factory.mktemp("region")
    demo_region.generate(folder, ACCOUNTS, seed=7)
    sample.load_region(url, folder)
    sample.add_readings(url, MARCH, every=2, months=4, gap_share=0.1)
    sample.add_absences(url, MARCH, every=20)
    sample.add_payments(url, MARCH, every=5)
    sample.add_benefits(url, MARCH, every=8)
    # One account opened and one closed inside March: charged for their open days.
    with psycopg.connect(url) as conn:
        conn.execute("""UPDATE accounts SET opened_on = '2026-03-16'
                        WHERE number = (SELECT min(number) FROM accounts WHERE closed_on IS NULL)""")
        conn.execute("""UPDATE accounts SET closed_on = '2026-03-10'
                        WHERE number = (SELECT max(number) FROM accounts WHERE closed_on IS NULL)""")
        imported = conn.execute("""SELECT account, service_code FROM account_services WHERE service_code LIKE 'maintenance%'
                                   ORDER BY account LIMIT 1 OFFSET 10""").fetchone()
    # A housing company charged one account's maintenance for March itself: the run leaves it out.
    charges = folder / "charges.csv"
    charges.write_text(f"account;service_code;period;amount_kopecks\n{imported[0]};{imported[1]};2026-03;123456\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "accruals.importer", "charges", str(charges)], env=dict(os.environ, GOROD_DB_URL=url),
                   check=True, capture_output=True, timeout=120)
    return url


def sql(url: str, statement: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


def lines_of(url: str, run_id: int) -> dict[str, list[tuple]]:
    """{account: [line, ...]} of a run, each line without its run and number."""
    result = collections.defaultdict(list)
    for row in sql(url, f"""SELECT account, service_code, recipient_id, component, zone, band, method, volume, unit, tariff,
                                   amount_kopecks, recalculation, reason, shape, facts
                            FROM {storage.lines_table(run_id)} ORDER BY account, line_no"""):
        result[row[0]].append(row[1:])
    return dict(result)


def chargeable(url: str, period: Period) -> set[str]:
    last = period.next().first_day - dt.timedelta(days=1)
    return {r[0] for r in sql(url, """
        SELECT DISTINCT a.number FROM accounts a JOIN account_services s ON s.account = a.number
        WHERE a.opened_on <= %(last)s AND (a.closed_on IS NULL OR a.closed_on >= %(first)s)
          AND s.valid_from <= %(last)s AND (s.valid_to IS NULL OR s.valid_to >= %(first)s)""",
        {"first": period.first_day, "last": last})}


def expected_postings(url: str, run_ids: list[int]) -> dict[tuple, int]:
    """{(account, recipient, kind): kopecks} that closing these runs must post (sums of zero are not posted)."""
    expected = collections.Counter()
    for run_id in run_ids:
        for a, r, method, kopecks in sql(url, f"SELECT account, recipient_id, method, amount_kopecks "
                                              f"FROM {storage.lines_table(run_id)}"):
            if method not in run_benefits.INFORMATIONAL:
                expected[(a, r, "penalty" if method == "penalty" else "charge")] += kopecks
    return {k: v for k, v in expected.items() if v}


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, GOROD_DB_URL=url)
    return subprocess.run([sys.executable, "-m", "accruals.run", *args], env=env, capture_output=True, text=True, timeout=120)


def computed(inputs, holders, subsidy):
    """The engine's lines of one account and its benefit and subsidy lines."""
    found = compute(inputs, DEFAULT_SETTINGS)
    if holders or subsidy:
        found += run_benefits.lines(found, inputs, holders, subsidy, bn.DEFAULT_SETTINGS, sb.DEFAULT_SETTINGS)
    return found


def test_the_run_charges_every_account_as_the_engine_and_the_penalty_rules_do(region):
    result = runner.run_period(region, MARCH, workers=2, chunk=50)
    assert result["status"] == "draft" and result["errors"] == 0, result
    lines = lines_of(region, result["run_id"])
    assert set(lines) == chargeable(region, MARCH)
    assert result["accounts"] == len(lines) and result["lines"] == sum(len(v) for v in lines.values())
    assert result["memo_hits"] > 0                   # alike flats were computed once
    stored = sql(region, "SELECT charges_kopecks, penalties_kopecks, status FROM runs WHERE id = %s", (result["run_id"],))
    assert stored == [(result["charges_kopecks"], result["penalties_kopecks"], "draft")]
    assert result["penalties_kopecks"] > 0
    # The accounts opened or closed inside March, and only they, have part-period recalculations.
    part_period = {r[0] for r in sql(region, f"SELECT account FROM {storage.lines_table(result['run_id'])} "
                                             "WHERE reason = 'part_period'")}
    inside = {r[0] for r in sql(region, "SELECT number FROM accounts WHERE opened_on BETWEEN '2026-03-02' AND '2026-03-31' "
                                        "OR closed_on BETWEEN '2026-03-01' AND '2026-03-30'")}
    assert part_period == inside and len(inside) == 2
    # Benefits: discount holders get negative `benefit` lines, cash-equivalent holders informational
    # `benefit_cash` lines, subsidy decisions a `subsidy` line (recipient 0); the charges total leaves out
    # the informational ones.
    methods = collections.Counter(line[5] for account_lines in lines.values() for line in account_lines)
    assert methods["benefit"] > 0 and methods["benefit_cash"] > 0 and methods["subsidy"] > 0, methods
    assert all(line[9] < 0 for v in lines.values() for line in v if line[5] == "benefit")
    assert all(line[1] == 0 for v in lines.values() for line in v if line[5] == "subsidy")
    payable = sum(line[9] for v in lines.values() for line in v if line[5] not in ("penalty", "benefit_cash", "subsidy"))
    assert result["charges_kopecks"] == payable
    # The service a housing company charged itself is not computed.
    (account, service), = sql(region, "SELECT account, service_code FROM ledger_entries WHERE reference LIKE 'charge:%'")
    assert service not in {line[0] for line in lines[account]} and lines[account]

    # The same inputs, every account in one piece (no memo, no split by meters), straight into
    # the engine: the same lines, and the stored explanations decode to the engine's.
    shapes = dict(sql(region, "SELECT id, body FROM explanation_shapes"))
    first, last = MARCH.first_day, MARCH.next().first_day - dt.timedelta(days=1)
    params = {"first": first, "last": last, "prev": months_back(MARCH, 1).first_day,
              "since": months_back(MARCH, HISTORY_MONTHS).first_day}
    with psycopg.connect(region) as conn:
        cur = conn.cursor()
        reference = Reference(MARCH, storage.services(cur), storage.tariffs(cur), storage.norms(cur), storage.houses(cur))
        for setting in storage.READER_SETTINGS:
            cur.execute(setting)
        with cur.copy(storage.inputs_statement(1, 1), params) as copy:
            text = b"".join(bytes(block) for block in copy).decode()
    metered = 0
    for row in text.split("\n")[:-1]:
        house, number, total, heated, residents, registered, installable, rooms, codes, readings, absences, _, open_days, \
            imported, holders, subsidy = row.split("\t")
        none = "\\N"
        if imported != none:
            codes = ",".join(c for c in codes.split(",") if c not in imported.split(","))
        inputs = reference.account((number, total, heated, int(residents), int(registered), installable == "t", int(rooms),
                                    int(house)), codes, None if readings == none else readings,
                                   None if absences == none else absences, open_days=None if open_days == none else open_days)
        metered += bool(inputs.meters)
        expected = sorted((line.service_code, line.component, line.zone, line.band, line.method,
                           None if line.volume is None else str(line.volume), None if line.tariff is None else str(line.tariff),
                           int(line.amount.scaleb(2)), line.recalculation, line.reason,
                           json.dumps(line.explanation.as_dict(), ensure_ascii=False, sort_keys=True))
                          for line in computed(inputs, None if holders == none else holders, None if subsidy == none else subsidy))
        got = []
        for (service, _rid, component, zone, band, method, volume, _unit, tariff, kopecks, recalculation, reason, shape,
             facts) in lines[number]:
            if method == "penalty":
                continue
            decoded = explain.decode(shapes[shape], facts)
            if not decoded["method"]:          # charge lines carry their method on the line
                decoded.pop("method")
            got.append((service, component, zone, band, method, None if volume is None else str(volume),
                        None if tariff is None else str(tariff), kopecks, recalculation, reason,
                        json.dumps(decoded, ensure_ascii=False, sort_keys=True)))
        assert sorted(got) == expected, number
    assert 0.3 * len(lines) < metered < 0.7 * len(lines)

    # Penalties: the domain's rules on the ledger, per account and recipient.
    penalties = {(a, r): k for a, r, k in sql(region, f"""
        SELECT account, recipient_id, amount_kopecks FROM {storage.lines_table(result['run_id'])} WHERE method = 'penalty'""")}
    entries = collections.defaultdict(list)
    for account, recipient, entry_id, kind, kopecks, day, period, reverses in sql(region, """
            SELECT account, recipient_id, id, kind, amount_kopecks, entry_date, period, reverses FROM ledger_entries
            WHERE entry_date <= %s ORDER BY entry_date, id""", (last,)):
        entries[(account, recipient)].append((entry_id, kind, kopecks, day, period, reverses))
    expected_penalties = {}
    for key, items in entries.items():
        debts, payments = collections.Counter(), []
        for _id, kind, kopecks, day, period, _rev in items:
            if kopecks > 0 and kind != "penalty":
                debts[Period(period.year, period.month)] += kopecks
            elif kopecks < 0:
                payments.append(penalty_rules.Payment(day, Decimal(-kopecks) / 100))
        if debts:
            total = penalty_rules.penalty({p: Decimal(k) / 100 for p, k in debts.items()}, payments,
                                          calc_date=last, since=first).total
            if total > 0:
                expected_penalties[key] = int(total * 100)
    assert penalties == expected_penalties
    assert any(len(v) > 1 for v in entries.values())      # some paid: the domain's own path too


def test_a_rerun_replaces_the_draft_with_the_same_lines(region):
    before = runner.status(region, MARCH)["runs"]
    previous = [r for r in before if r["status"] == "draft"][-1]
    again = runner.run_period(region, MARCH, workers=1)
    assert again["superseded"] == [previous["run_id"]]
    assert again["charges_kopecks"] == previous["charges_kopecks"]
    assert again["penalties_kopecks"] == previous["penalties_kopecks"]
    assert lines_of(region, again["run_id"]) == lines_of(region, previous["run_id"])
    statuses = {r["run_id"]: r["status"] for r in runner.status(region, MARCH)["runs"]}
    assert statuses[previous["run_id"]] == "superseded" and statuses[again["run_id"]] == "draft"
    assert [r for r in statuses.values() if r == "draft"] == ["draft"]


def test_partitions_one_two_and_three_of_three_are_the_whole(region):
    whole = [r for r in runner.status(region, MARCH)["runs"] if r["status"] == "draft"][-1]
    expected = lines_of(region, whole["run_id"])
    seen: dict[str, int] = {}
    union: dict[str, list] = {}
    for part in (1, 2, 3):
        result = runner.run_period(region, MARCH, part, 3, workers=1)
        assert result["partition"] == f"{part}/3" and result["superseded"] == []
        for account, rows in lines_of(region, result["run_id"]).items():
            assert account not in seen, f"{account} in partitions {seen[account]} and {part}"
            assert partition.partition_of(account, 3) == part
            seen[account] = part
            union[account] = rows
    assert union == expected
    # The whole run is masked account by account: no single partition covers it, so it stays a draft.
    assert {r["partition"]: r["status"] for r in runner.status(region, MARCH)["runs"] if r["status"] == "draft"} == {
        "1/1": "draft", "1/3": "draft", "2/3": "draft", "3/3": "draft"}


def test_compare_shows_what_a_tariff_change_did(region):
    base = runner.run_period(region, MARCH, workers=1)
    sql(region, "UPDATE tariffs SET rate = rate + 1 WHERE service_code = 'cold_water' RETURNING id")
    try:
        changed = runner.run_period(region, MARCH, workers=1)
    finally:
        sql(region, "UPDATE tariffs SET rate = rate - 1 WHERE service_code = 'cold_water' RETURNING id")
    report = compare.compare(region, MARCH, limit=5)
    assert report["run_a"]["run_id"] == base["run_id"] and report["run_b"]["run_id"] == changed["run_id"]
    with_cold_water = {a for a, rows in lines_of(region, base["run_id"]).items() if any(r[0] == "cold_water" for r in rows)}
    assert report["accounts_changed"] == len(with_cold_water)
    assert report["lines_added"] == report["lines_removed"] == 0
    assert [s["service_code"] for s in report["by_service"]] == ["cold_water"]
    assert report["delta_kopecks"] == changed["charges_kopecks"] - base["charges_kopecks"] > 0
    assert report["by_service"][0]["delta_kopecks"] == report["delta_kopecks"]
    assert len(report["accounts"]) == 5
    top = report["accounts"][0]
    assert top["delta_kopecks"] == sum(line["delta_kopecks"] for line in top["lines"]) > 0
    assert {line["change"] for line in top["lines"]} == {"changed"}
    assert all(line["b_tariff"] != line["a_tariff"] for line in top["lines"])
    # The same through the CLI, naming the runs.
    done = run_cli(region, "compare", "--period", "2026-03", "--run", str(base["run_id"]), "--run", str(changed["run_id"]),
                   "--limit", "1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["delta_kopecks"] == report["delta_kopecks"]


def test_close_posts_the_lines_and_a_closed_period_changes_no_more(region):
    done = run_cli(region, "--period", "2026-02", "--partition", "1/2")
    assert done.returncode == 0, done.stderr
    refused = run_cli(region, "close", "--period", "2026-02")
    assert refused.returncode == 1 and "run the missing partitions" in refused.stderr
    done = run_cli(region, "--period", "2026-02", "--partition", "2/2")
    assert done.returncode == 0, done.stderr
    closed = run_cli(region, "close", "--period", "2026-02")
    assert closed.returncode == 0, closed.stderr
    report = json.loads(closed.stdout)
    assert report["status"] == "closed" and len(report["runs"]) == 2

    posted = {(a, r, k): amount for a, r, k, amount in sql(region, """
        SELECT account, recipient_id, kind, amount_kopecks FROM ledger_entries
        WHERE created_by LIKE 'run:%%' AND entry_date = '2026-02-28' AND period = '2026-02-01'""")}
    assert posted == expected_postings(region, report["runs"])
    assert report["ledger_entries"] == len(posted)

    def state():
        return (sql(region, "SELECT id, status, lines, charges_kopecks FROM runs ORDER BY id"),
                sql(region, "SELECT count(*), sum(amount_kopecks) FROM ledger_entries"),
                sql(region, "SELECT count(*) FROM charge_lines"),
                sql(region, "SELECT status FROM periods WHERE period = '2026-02-01'"))

    before = state()
    assert before[3] == [("closed",)]
    for args in (("--period", "2026-02"), ("--period", "2026-02", "--partition", "1/2"), ("close", "--period", "2026-02")):
        again = run_cli(region, *args)
        assert again.returncode == 1, again
        assert "2026-02" in again.stderr and ("closed" in again.stderr) and again.stdout == ""
    assert state() == before

    # March, run again now that February is closed: registers without readings take what
    # February billed (the closed run's lines), and nothing else moves.
    march = runner.run_period(region, MARCH, workers=1)
    assert march["errors"] == 0 and march["accounts"] == len(chargeable(region, MARCH))


def test_usage_errors_exit_with_code_2(region):
    assert run_cli(region, "--period", "2026-13").returncode == 2
    assert run_cli(region, "--period", "2026-03", "--partition", "4/3").returncode == 2
    assert run_cli(region, "compare", "--period", "2026-03", "--run", "1").returncode == 2


def test_prune_drops_superseded_lines_and_keeps_the_newest(region):
    runs = runner.status(region, MARCH)["runs"]
    superseded = [r["run_id"] for r in runs if r["status"] == "superseded"]
    assert len(superseded) >= 2
    done = runner.prune(region, MARCH, keep=1)
    assert done["dropped"] == superseded[:-1]
    tables = {r[0] for r in sql(region, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'charge_lines_r%%'")}
    assert not {storage.lines_table(i) for i in superseded[:-1]} & tables
    assert storage.lines_table(superseded[-1]) in tables


def test_a_close_that_stopped_half_way_finishes_without_posting_twice(region):
    # January: no other test runs it. The close stops after its first batch (simulated: the
    # period marked `closing` and one batch posted, as a close killed after its first commit).
    january = Period(2026, 1)
    done = runner.run_period(region, january, workers=1)
    run_id = done["run_id"]
    with storage.connect(region, autocommit=False) as conn:
        cur = conn.cursor()
        storage.mark_closing(cur, january.first_day)
        bounds = storage.batch_bounds(cur, 50)
        first = storage.post_batch(cur, run_id, [], january.first_day, dt.date(2026, 1, 31), "", bounds[0])
        conn.commit()
    assert first > 0 and len(bounds) >= 4
    closed = runner.close_period(region, january, batch=70)      # other batches than the stopped close's
    assert closed["status"] == "closed" and closed["ledger_entries"] > 0

    posted = collections.Counter((a, r, k) for a, r, k in sql(region, """
        SELECT account, recipient_id, kind FROM ledger_entries WHERE created_by = %s AND period = '2026-01-01'""",
        (f"run:{run_id}",)))
    assert max(posted.values()) == 1                      # nothing posted twice
    assert sum(posted.values()) == first + closed["ledger_entries"]
    assert set(posted) == set(expected_postings(region, [run_id]))

"""The monthly run: imported charges that were reversed, and what a closed run "billed" (docs/monthly-run.md)."""
from __future__ import annotations

import collections
import os
import pathlib
import subprocess
import sys
from decimal import Decimal

import psycopg
import pytest

from accruals.run import runner, sample
from accruals.run.inputs import HISTORY_MONTHS, months_back
from accruals.storage import runs as storage
from gorod_runtime.imports.apply import connection_url
from gorod_runtime.period import Period

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
import demo_region  # noqa: E402

MARCH = Period(2026, 3)
FEBRUARY = Period(2026, 2)


@pytest.fixture(scope="module")
def region(make_database_module, tmp_path_factory):
    url = connection_url(make_database_module("accruals"))
    folder = tmp_path_factory.mktemp("region")
    demo_region.generate(folder, 60, seed=11)
    sample.load_region(url, folder)
    sample.add_benefits(url, MARCH, every=1)
    return url, folder


def sql(url: str, statement: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


def import_charges(url: str, folder: pathlib.Path, text: str) -> None:
    path = folder / "charges.csv"
    path.write_text("account;service_code;period;amount_kopecks\n" + text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "accruals.importer", "charges", str(path)], env=dict(os.environ, GOROD_DB_URL=url),
                   check=True, capture_output=True, timeout=120)


def test_a_service_whose_imported_charge_was_reversed_is_computed_again(region):
    url, folder = region
    account, service = sql(url, """SELECT account, service_code FROM account_services WHERE service_code LIKE 'maintenance%%'
                                   ORDER BY account LIMIT 1 OFFSET 3""")[0]
    import_charges(url, folder, f"{account};{service};2026-03;123456\n")
    result = runner.run_period(url, MARCH, workers=1)
    assert result["errors"] == 0, result
    codes = {r[0] for r in sql(url, f"SELECT service_code FROM {storage.lines_table(result['run_id'])} WHERE account = %s",
                               (account,))}
    assert service not in codes
    # The company withdraws it (an amount of 0 books the reversal only): the run charges the service again.
    import_charges(url, folder, f"{account};{service};2026-03;0\n")
    assert sql(url, "SELECT count(*) FROM ledger_entries WHERE account = %s AND kind = 'reversal'", (account,)) == [(1,)]
    result = runner.run_period(url, MARCH, workers=1)
    assert result["errors"] == 0, result
    codes = {r[0] for r in sql(url, f"SELECT service_code FROM {storage.lines_table(result['run_id'])} WHERE account = %s",
                               (account,))}
    assert service in codes


def test_what_a_closed_run_billed_leaves_out_the_benefit_lines(region):
    """The billed volumes of a register's gap (п.59 catch-up later) are the charge lines' volumes:
    a benefit line's volume is the part of it the benefit covers, not more consumption."""
    url, _folder = region
    result = runner.run_period(url, FEBRUARY, workers=1)
    assert result["errors"] == 0, result
    done = subprocess.run([sys.executable, "-m", "accruals.run", "close", "--period", "2026-02"],
                          env=dict(os.environ, GOROD_DB_URL=url), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    table = storage.lines_table(result["run_id"])
    benefit_accounts = [r[0] for r in sql(url, f"""SELECT DISTINCT account FROM {table}
                                                   WHERE method IN ('benefit', 'benefit_cash') AND volume IS NOT NULL
                                                     AND component IN ('', 'carrier')""")]
    assert benefit_accounts
    expected = collections.Counter()
    for account, service, zone, volume in sql(url, f"""
            SELECT account, service_code, zone, volume FROM {table}
            WHERE NOT recalculation AND method NOT IN ('penalty', 'benefit', 'benefit_cash', 'subsidy')
              AND component IN ('', 'carrier') AND volume IS NOT NULL AND account = ANY(%s)""", (benefit_accounts,)):
        expected[(account, service, zone)] += volume
    with psycopg.connect(url) as conn:
        found = storage.billed(conn.cursor(), {"since": months_back(MARCH, HISTORY_MONTHS).first_day, "first": MARCH.first_day,
                                               "accounts": benefit_accounts})
    got = {(account, service, zone): Decimal(volume) for account, service, zone, _period, _run, _method, volume in found
           if volume is not None}
    assert got == {k: v for k, v in expected.items()}
    assert not {method for *_, method, _volume in found} & {"benefit", "benefit_cash"}

"""tools/demo_region.py: deterministic, well-formed import files, and (once the importer
exists) a clean import into a fresh accruals database."""
from __future__ import annotations

import collections
import csv
import datetime as dt
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest
import sqlalchemy as sa

from gorod_runtime import db

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import demo_region  # noqa: E402

ACCOUNTS = 3000


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    out = tmp_path_factory.mktemp("region")
    summary = demo_region.generate(out, ACCOUNTS, seed=7)
    return summary


def read(path: pathlib.Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode("utf-8")          # strict: fails on anything but UTF-8
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    return rows[0], rows[1:]


def test_the_same_seed_gives_the_same_files_and_another_seed_others(region, tmp_path):
    again = demo_region.generate(tmp_path / "again", ACCOUNTS, seed=7)
    for kind in demo_region.FILES:
        assert again.files[kind].read_bytes() == region.files[kind].read_bytes(), kind
    other = demo_region.generate(tmp_path / "other", ACCOUNTS, seed=8)
    assert other.files["accounts"].read_bytes() != region.files["accounts"].read_bytes()


def test_every_file_has_its_header_and_full_rows(region):
    for kind in demo_region.FILES:
        header, rows = read(region.files[kind])
        assert tuple(header) == demo_region.COLUMNS[kind], kind
        assert rows, kind
        bad = [row for row in rows if len(row) != len(header)]
        assert not bad, (kind, bad[:3])


def test_organisations_have_valid_inns_and_bank_details(region):
    _, rows = read(region.files["organisations"])
    inns = [row[0] for row in rows]
    assert len(set(inns)) == len(inns)
    kinds = collections.Counter(row[3] for row in rows)
    assert kinds["settlement_centre"] == 1 and kinds["management_company"] >= 3 and kinds["supplier"] >= 3
    for inn, kpp, name, _kind, account, bank, bic, corr in rows:
        assert demo_region.valid_inn(inn), inn
        assert len(kpp) == 9 and kpp.isdigit() and kpp[:4] == inn[:4]
        assert name and bank
        assert len(bic) == 9 and bic.startswith("0401736")
        assert len(account) == 20 and account.startswith("40702810")
        assert demo_region.valid_account_key(bic[-3:], account), account
        assert len(corr) == 20 and corr.startswith("30101810") and corr.endswith(bic[-3:])
        assert demo_region.valid_account_key("0" + bic[4:6], corr), corr
    assert not demo_region.valid_inn("2224899781") and demo_region.valid_inn("7707083893")


def test_services_tariffs_and_norms_follow_the_rules(region):
    _, orgs = read(region.files["organisations"])
    org_inns = {row[0] for row in orgs}
    _, services = read(region.files["services"])
    codes = {row[0] for row in services}
    assert {"cold_water", "hot_water", "sewage", "heating", "electricity", "waste", "capital_repair"} <= codes
    assert all(row[5] in org_inns for row in services)
    _, tariffs = read(region.files["tariffs"])
    assert {row[0] for row in tariffs} <= codes
    rate = {(r[0], r[2], r[4], r[5], r[7]): r[9] for r in tariffs}
    assert rate[("electricity", "urban", "", "0", "2026-01-01")] == "6.36"
    assert rate[("electricity", "urban", "", "0", "2026-10-01")] == "7.07"
    assert rate[("electricity", "urban_electric_stove", "", "3900", "2026-01-01")] == "6.94"
    assert rate[("electricity", "urban", "", "6000", "2026-10-01")] == "11.29"
    assert rate[("electricity", "rural", "", "0", "2026-01-01")] == "4.97"
    assert rate[("cold_water", "", "", "0", "2026-01-01")] == "36.47"
    assert rate[("hot_water", "", "carrier", "0", "2026-01-01")] == "36.47"
    assert rate[("hot_water", "", "heat", "0", "2026-01-01")] == "3218.46"
    assert rate[("heating", "", "", "0", "2026-01-01")] == "3218.46"
    assert rate[("waste", "", "", "0", "2026-01-01")] == "62.30"
    assert rate[("waste", "", "", "0", "2026-10-01")] == "130.40"
    # The ranges meet at 3900 and 6000 kWh; one validity ends the day before the next begins.
    assert {(r[5], r[6]) for r in tariffs if r[0] == "electricity"} == {("0", "3900"), ("3900", "6000"), ("6000", "")}
    assert {r[8] for r in tariffs if r[7] == "2026-01-01" and r[0] in ("electricity", "waste")} == {"2026-09-30"}
    _, norms = read(region.files["norms"])
    assert {r[0] for r in norms} <= codes
    value = {(r[0], r[1], r[2], r[3]): r[6] for r in norms}
    assert value[("cold_water", "", "0", "0")] == "4.29"
    assert value[("hot_water", "", "0", "0")] == "2.92"
    assert value[("heating", "", "0", "0")] == "0.0261"
    assert value[("hot_water", "heating_hot_water", "0", "0")] == "0.06"
    assert value[("electricity", "electric_stove", "1", "1")] == "209"


def test_accounts_are_unique_realistic_and_refer_to_known_things(region):
    _, orgs = read(region.files["organisations"])
    companies = {row[0] for row in orgs if row[3] == "management_company"}
    _, services = read(region.files["services"])
    codes = {row[0] for row in services}
    header, rows = read(region.files["accounts"])
    col = {name: i for i, name in enumerate(header)}
    assert len(rows) == region.accounts == ACCOUNTS
    numbers = [row[0] for row in rows]
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 9 and n.isdigit() and n[0] != "0" for n in numbers)
    assert region.first_account == numbers[0]
    els = [row[1] for row in rows if row[1]]
    assert len(set(els)) == len(els) and all(len(e) == 10 for e in els)
    address_of, flats = {}, collections.defaultdict(set)
    for row in rows:
        house = row[col["house_code"]]
        assert address_of.setdefault(house, row[col["address"]]) == row[col["address"]]
        assert row[col["address"]].startswith("г. Барнаул, ") and ", д. " in row[col["address"]]
        assert row[col["settlement"]] in ("urban", "rural")
        assert row[col["electric_stove"]] in ("true", "false") and row[col["meter_installable"]] in ("true", "false")
        total, heated, living = (float(row[col[c]]) for c in ("total_area", "heated_area", "living_area"))
        assert 18 <= total <= 120 and heated == total and 0 < living < total
        assert 0 <= int(row[col["residents"]]) <= 6 and 0 <= int(row[col["registered"]]) <= 6
        surname, *initials = row[col["owner_name"]].split(" ")
        assert surname.isalpha() and len(initials) == 2 and all(len(i) == 2 and i.endswith(".") for i in initials)
        opened = dt.date.fromisoformat(row[col["opened_on"]])
        if row[col["closed_on"]]:
            assert dt.date.fromisoformat(row[col["closed_on"]]) > opened
        assert set(row[col["services"]].split(",")) <= codes
        if row[col["house_type"]] == "apartment_building":
            assert row[col["management_company_inn"]] in companies
            flats[house].add(row[col["flat"]])
        else:
            assert row[col["house_type"]] == "private_house" and row[col["flat"]] == ""
    assert len(set(address_of.values())) == len(address_of)          # one house per address
    sizes = sorted(len(f) for f in flats.values())
    assert sizes[-1] <= 300 and sizes[1] >= 20                 # (the last house may be cut short)
    assert any(row[col["closed_on"]] for row in rows)


def test_opening_balances_refer_to_open_accounts_and_recipients(region):
    _, orgs = read(region.files["organisations"])
    inns = {row[0] for row in orgs}
    _, accounts = read(region.files["accounts"])
    open_accounts = {row[0] for row in accounts if not row[17]}
    _, rows = read(region.files["opening_balances"])
    assert len(rows) > ACCOUNTS // 5
    for account, recipient, date, amount in rows:
        assert account in open_accounts and recipient in inns
        assert date == demo_region.BALANCE_DATE
        assert int(amount) != 0


def test_the_command_line_writes_the_files(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "demo_region.py"), "--accounts", "50", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{k}.csv" for k in demo_region.FILES)
    assert "50 accounts" in done.stderr


def _importer_missing() -> bool:
    return importlib.util.find_spec("accruals.importer") is None


@pytest.mark.skipif(_importer_missing(), reason="accruals.importer does not exist yet")
def test_the_region_imports_cleanly_into_a_fresh_accruals_database(make_database, tmp_path):
    summary = demo_region.generate(tmp_path, 500, seed=3)
    url = make_database("accruals")
    env = dict(os.environ, GOROD_DB_URL=url)
    for kind in demo_region.FILES:
        done = subprocess.run([sys.executable, "-m", "accruals.importer", kind, str(summary.files[kind]),
                               "--operator", "test"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{kind}: {done.stdout}\n{done.stderr}"
    expected = {kind: len(read(summary.files[kind])[1]) for kind in demo_region.FILES}
    engine = db.make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            count = lambda sql: conn.execute(sa.text(sql)).scalar()  # noqa: E731
            assert count("SELECT count(*) FROM accounts") == expected["accounts"] == 500
            assert count("SELECT count(*) FROM organisations") == expected["organisations"]
            assert count("SELECT count(*) FROM services") == expected["services"]
            assert count("SELECT count(*) FROM tariffs") == expected["tariffs"]
            assert count("SELECT count(*) FROM norms") == expected["norms"]
            assert count("SELECT count(*) FROM ledger_entries WHERE kind = 'opening_balance'") == expected["opening_balances"]
            assert count("SELECT count(DISTINCT house_id) FROM premises") == len(
                {row[2] for row in read(summary.files["accounts"])[1]})
            assert count("SELECT count(*) FROM imports WHERE status <> 'applied'") == 0
    finally:
        engine.dispose()

"""Receipt data (docs/receipt-data.md): the assembly alone, then every account of a small region
after a closed February and a draft March, checked against the charge lines and the ledger."""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import pathlib
import sys
from decimal import Decimal

import psycopg
import pytest

from accruals.domain import receipt_codes
from accruals.domain import receipts as domain
from accruals.domain.accounts import Account
from accruals.handlers import receipts as handlers
from accruals.run import runner, sample
from accruals.settings import AccrualsSettings
from gorod_runtime import db
from gorod_runtime.errors import NotFound
from gorod_runtime.imports.apply import connection_url
from gorod_runtime.period import Period
from gorod_runtime.uow import UnitOfWork

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
import demo_region  # noqa: E402

SECRET = b"gorod-test-receipt-code-secret-0123456789"
OPTIONS = AccrualsSettings(tz="Asia/Barnaul", receipt_code_periods=3, receipt_code_secrets=(SECRET,),
                           receipt_code_dummy_generation=0)
FEBRUARY, MARCH = Period(2026, 2), Period(2026, 3)


# -- the assembly, without a database -----------------------------------------------------

def _line(service, recipient, kopecks, method="meter", component="", recalculation=False, reason="", volume="1.5",
          tariff="10", explanation=None):
    return domain.Line(service, recipient, component, "", "", method, None if volume is None else Decimal(volume), "m3",
                       None if tariff is None else Decimal(tariff), kopecks, recalculation, reason,
                       explanation or {"inputs": {}, "notes": []})


def test_assemble_sections_and_totals():
    water = domain.Organisation(1, "2224618982", "222401001", "Водоканал", "40702810400000000001", "Банк", "040173604",
                                "30101810200000000604")
    heat = domain.Organisation(2, "2221639448", "222101001", "Генерация")
    account = Account("100000001", "22AB", "г. Барнаул, ул. Попова, д. 1", "h", "5", Decimal("45.0"), Decimal("45.0"),
                      Decimal("30.1"), 3, 3, "Иванова А. П.", "open", dt.date(2020, 1, 1), None)
    inputs = domain.ReceiptInputs(
        period=MARCH, account=account, executor=None, management_company=None, organisations={1: water, 2: heat},
        services={"cold_water": domain.Service("cold_water", "Холодное водоснабжение", "cold_water", "m3"),
                  "hot_water": domain.Service("hot_water", "Горячее водоснабжение", "hot_water", "m3")},
        run_id=7, run_status="draft",
        lines=(_line("cold_water", 1, 18684),
               _line("cold_water", 1, -5000, recalculation=True, reason="catch_up"),
               _line("hot_water", 2, 47922, method="norm_increased", component="carrier",
                     explanation={"inputs": {"n": "3", "N": "2.92", "K": "0.5"}, "notes": []}),
               _line("hot_water", 2, 253743, method="norm_increased", component="heat", volume="0.7884", tariff="3218.46",
                     explanation={"inputs": {"K": "0.5"}, "notes": []}),
               _line("", 2, 272, method="penalty", volume=None, tariff=None)),
        opening={1: 10_000, 2: 500_000},
        movements=(domain.Movement(dt.date(2026, 3, 10), "payment", 2, -250_000),
                   domain.Movement(dt.date(2026, 3, 12), "correction", 1, -1_000)),
        readings=(domain.Reading("cold_water", "m1", "", Decimal("100.5"), Decimal("102"), Decimal("1.5")),),
        code="123456")
    data = domain.assemble(inputs)
    assert [(s.service_code, s.component) for s in data.services] == [("cold_water", ""), ("hot_water", "carrier"),
                                                                      ("hot_water", "heat")]
    cold = data.services[0]
    assert (cold.accrued, cold.recalculations, cold.to_pay, cold.method, cold.tariff) == (18684, -5000, 13684, "M", Decimal(10))
    carrier = data.services[1]
    assert carrier.method == "N" and carrier.norm == "2.92" and carrier.increase == 47922 - 31948
    assert [(r.reason, r.kopecks) for r in data.recalculations] == [("catch_up", -5000)]
    assert data.accrued == 18684 + 47922 + 253743 and data.recalculated == -5000 and data.charges == data.accrued - 5000
    assert (data.opening, data.paid, data.last_payment, data.penalty, data.other) == (510_000, 250_000, dt.date(2026, 3, 10),
                                                                                      272, -1000)
    assert data.total == 510_000 + data.charges + 272 - 250_000 - 1000
    by_id = {r.organisation.id: r for r in data.recipients}
    assert by_id[1].total == 10_000 + 13684 - 1000 and by_id[2].total == 500_000 + 47922 + 253743 + 272 - 250_000
    assert sum(r.total for r in data.recipients) == data.total and data.to_pay == data.total
    assert data.meters[0].gis_code == 1 and data.meters[0].okei == "113" and data.meters[0].previous == Decimal("100.5")
    advance = dataclasses.replace(inputs, opening={1: -10_000_000})
    assert domain.assemble(advance).to_pay == 0 and domain.assemble(advance).total < 0


# -- every account of a region --------------------------------------------------------------

@pytest.fixture(scope="module")
def region(make_database_module, tmp_path_factory):
    url = connection_url(make_database_module("accruals"))
    folder = tmp_path_factory.mktemp("region")
    demo_region.generate(folder, 150, seed=3)
    sample.load_region(url, folder)
    sample.add_readings(url, MARCH, every=2, months=4, gap_share=0.1)
    sample.add_absences(url, MARCH, every=10)
    sample.add_absences(url, FEBRUARY, every=10)
    sample.add_payments(url, MARCH, every=3)
    sample.add_benefits(url, FEBRUARY, every=6)
    runner.run_period(url, FEBRUARY, workers=1)
    runner.close_period(url, FEBRUARY)
    march = runner.run_period(url, MARCH, workers=1)
    engine = db.make_engine(url, pool_size=1)
    yield url, UnitOfWork(engine, "accruals"), march["run_id"]
    engine.dispose()


def sql(url, statement, params=None):
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


@pytest.mark.parametrize("period", [FEBRUARY, MARCH])
def test_every_receipt_agrees_with_the_lines_and_the_ledger(region, period):
    url, uow, _ = region
    first, last = period.first_day, period.next().first_day - dt.timedelta(days=1)
    runs = {s: ids for s, ids in sql(url, "SELECT status, array_agg(id) FROM runs WHERE period = %s GROUP BY status", (first,))}
    run_id = max(runs["closed" if period == FEBRUARY else "draft"])
    lines = collections.defaultdict(list)
    for account, recipient, method, kopecks in sql(url, "SELECT account, recipient_id, method, amount_kopecks "
                                                        "FROM charge_lines WHERE run_id = %s", (run_id,)):
        lines[account].append((recipient, method, kopecks))
    before = collections.defaultdict(dict)
    for account, recipient, total in sql(url, "SELECT account, recipient_id, sum(amount_kopecks) FROM ledger_entries "
                                              "WHERE entry_date < %s GROUP BY 1, 2", (first,)):
        before[account][recipient] = int(total)
    at_end = collections.defaultdict(int)
    for account, total in sql(url, "SELECT account, sum(amount_kopecks) FROM ledger_entries WHERE entry_date <= %s GROUP BY 1",
                              (last,)):
        at_end[account] = int(total)
    seen = collections.Counter()
    for account in lines:
        data = handlers.receipt_data(uow, OPTIONS, account, period)
        assert data.run_id == run_id and data.run_status == ("closed" if period == FEBRUARY else "draft")
        assert data.code == receipt_codes.code(SECRET, account, period, 0)
        charges = sum(k for _r, m, k in lines[account] if m not in ("penalty", "benefit_cash", "subsidy"))
        discounts = -sum(k for _r, m, k in lines[account] if m == "benefit")
        assert data.benefits == sum(s.benefits for s in data.services) == discounts
        seen["benefits"] += bool(discounts)
        informational = {m: sum(k for _r, mm, k in lines[account] if mm == m) for m in ("benefit_cash", "subsidy")}
        assert (data.cash_equivalent, data.subsidy, data.support) == (
            informational["benefit_cash"], informational["subsidy"], sum(informational.values()))
        seen["support"] += bool(data.support)
        penalties = sum(k for _r, m, k in lines[account] if m == "penalty")
        assert data.charges == sum(s.to_pay for s in data.services) == charges
        assert data.penalty == penalties
        assert data.opening == sum(before[account].values())
        assert {r.organisation.id: r.opening for r in data.recipients if r.opening} == {k: v for k, v in before[account].items() if v}
        assert data.total == data.opening + data.charges + data.penalty - data.paid + data.other
        if period == FEBRUARY:          # closed: the run's lines are in the ledger, dated the last day
            assert data.total == at_end[account]
        else:                           # a draft: the ledger has everything but the run's lines
            assert data.total == at_end[account] + charges + penalties
        assert data.account.number == account and data.executor is not None and data.executor.name
        for recipient in data.recipients:
            assert recipient.organisation.inn and recipient.to_pay == max(0, recipient.total)
        seen["metered"] += bool(data.meters)
        seen["recalculations"] += bool(data.recalculations)
        seen["payments"] += bool(data.payments)
        seen["penalties"] += bool(data.penalties)
        seen["company"] += data.management_company is not None
        assert all(m.gis_code in range(1, 8) and m.okei for m in data.meters)
    assert seen["metered"] and seen["recalculations"] and seen["company"] and seen["benefits"] and seen["support"]
    if period == MARCH:
        assert seen["payments"] and seen["penalties"]


def test_unknown_account_and_period_without_a_run(region):
    url, uow, _ = region
    with pytest.raises(NotFound) as unknown:
        handlers.receipt_data(uow, OPTIONS, "999999999", MARCH)
    assert unknown.value.code == "account.not_found"
    account = sql(url, "SELECT number FROM accounts ORDER BY number LIMIT 1")[0][0]
    with pytest.raises(NotFound) as missing:
        handlers.receipt_data(uow, OPTIONS, account, Period(2026, 5))
    assert missing.value.code == "receipt.not_computed"

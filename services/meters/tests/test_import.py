"""`python -m meters.importer` as a process against a real, migrated meters database."""
import json
import os
import subprocess
import sys

import psycopg
import pytest

from gorod_runtime.imports.apply import connection_url
from meters.imports.kinds import KINDS

COLUMNS = "account;service;serial;zones;placement;unit;digits;decimals;supplier_inn;installed_on;sealed_on;verification_due;status"
SUPPLIER = "2224000018"     # valid check digits


def meter(account: int, service: str = "cold_water", serial: str | None = None, zones: str = "", placement: str = "кухня",
          digits: str = "5", installed: str = "2020-01-10", sealed: str = "11.01.2020", due: str = "2026-01-10",
          status: str = "") -> str:
    serial = serial or f"S-{account}-{service[:2]}"
    return f"{account};{service};{serial};{zones};{placement};;{digits};;{SUPPLIER};{installed};{sealed};{due};{status}"


def csv(lines: list[str], columns: str = COLUMNS) -> str:
    return columns + "\n" + "\n".join(lines) + "\n"


class Importer:
    def __init__(self, db_url, folder):
        self.db_url = db_url
        self.folder = folder
        self.count = 0

    def run(self, name: str, data: bytes, *args):
        self.count += 1
        path = self.folder / f"{self.count:03d}-{name}"
        path.write_bytes(data)
        process = subprocess.run([sys.executable, "-m", "meters.importer", "meters", str(path), "--json", "--operator", "test", *args],
                                 env={**os.environ, "GOROD_DB_URL": self.db_url}, capture_output=True, timeout=120)
        return process.returncode, (json.loads(process.stdout) if process.stdout.strip() else None), process.stderr.decode()

    def load(self, name, text, *args, encoding="utf-8"):
        code, report, err = self.run(name, text.encode(encoding), *args)
        assert code == 0 and report["status"] in ("applied", "unchanged"), (code, report, err)
        return report

    def query(self, sql, *params):
        with psycopg.connect(connection_url(self.db_url)) as conn:
            return conn.execute(sql, params or None).fetchall()


@pytest.fixture(scope="module")
def importer(make_database_module, tmp_path_factory):
    return Importer(make_database_module("meters"), tmp_path_factory.mktemp("meter-imports"))


def problems(report):
    return [(p["line"], p["field"], p["code"]) for p in report["problems"]]


def test_one_bad_line_among_ten_thousand_applies_nothing(importer):
    lines = [meter(200000000 + i) for i in range(10_000)]
    lines[4321] = meter(200004321, digits="15")
    code, report, _ = importer.run("bad.csv", csv(lines).encode())
    assert code == 1 and report["status"] == "rejected" and report["rows"] == 10_000
    assert problems(report) == [(4323, "digits", "import.bad_digits")]      # the header is line 1
    assert importer.query("SELECT count(*) FROM meters WHERE account LIKE '2000%'") == [(0,)]
    [(status, errors)] = importer.query("SELECT status, errors FROM imports WHERE id = %s", int(report["import_id"]))
    assert status == "rejected" and errors[0]["field"] == "digits"


def test_the_same_file_twice_changes_nothing_and_cp1251_placements_are_read(importer):
    lines = [meter(210000001, placement="ванная комната"), meter(210000001, "electricity", zones="2", placement="прихожая"),
             meter(210000002, "heat", placement="тепловой узел, подвал")]
    data = csv(lines).encode("cp1251")
    code, report, err = importer.run("реестр.csv", data)
    assert code == 0 and (report["status"], report["rows"], report["changed"]) == ("applied", 3, 3), err
    code, again, _ = importer.run("реестр-снова.csv", data)
    assert (again["status"], again["import_id"], again["changed"]) == ("unchanged", report["import_id"], 0)
    code, other_bytes, _ = importer.run("реестр-utf8.csv", csv(lines).encode())
    assert (other_bytes["status"], other_bytes["changed"]) == ("applied", 0)
    assert importer.query("""SELECT service, zones, placement, unit, digits, decimals, installed_on::text, sealed_on::text, status
                             FROM meters WHERE account LIKE '21000000%' ORDER BY account, service""") == [
        ("cold_water", 1, "ванная комната", "m3", 5, 3, "2020-01-10", "2020-01-11", "active"),
        ("electricity", 2, "прихожая", "kWh", 5, 1, "2020-01-10", "2020-01-11", "active"),
        ("heat", 1, "тепловой узел, подвал", "Gcal", 5, 3, "2020-01-10", "2020-01-11", "active")]


def test_a_changed_status_appends_history_and_absent_meters_are_left_alone(importer):
    first = [meter(220000001), meter(220000002), meter(220000003, status="active")]
    report = importer.load("first.csv", csv(first))
    second = [meter(220000001, status="broken") + ";стекло разбито", meter(220000002, placement="санузел") + ";"]
    report = importer.load("second.csv", csv(second, COLUMNS + ";status_reason"))
    assert report["changed"] == 2
    history = importer.query("""
        SELECT m.account, h.status, h.reason, h.source FROM meter_status_history h JOIN meters m ON m.id = h.meter_id
        WHERE m.account LIKE '22000000%' ORDER BY h.id""")
    source = f"import:{report['import_id']}"
    assert history[3:] == [("220000001", "broken", "стекло разбито", source)]
    assert [h[1:3] for h in history[:3]] == [("active", "registered")] * 3
    assert importer.query("SELECT account, status, placement FROM meters WHERE account LIKE '22000000%' ORDER BY account") == [
        ("220000001", "broken", "кухня"), ("220000002", "active", "санузел"), ("220000003", "active", "кухня")]
    # An empty status keeps the meter's; the same status again appends nothing.
    assert importer.load("third.csv", csv([meter(220000001)]))["changed"] == 0
    assert importer.load("fourth.csv", csv([meter(220000001, status="broken")]))["changed"] == 0
    assert len(importer.query("SELECT 1 FROM meter_status_history h JOIN meters m ON m.id = h.meter_id "
                              "WHERE m.account = '220000001'")) == 2


def test_a_json_file_of_a_thousand_meters(importer):
    records = [{"account": str(230000000 + i // 2), "service": ("hot_water", "electricity")[i % 2], "serial": f"J{i:05d}",
                "zones": 1 + i % 2, "digits": 6, "decimals": None if i % 3 else 2, "installed_on": "2024-03-01",
                "verification_due": "01.03.2030"} for i in range(1000)]
    code, report, err = importer.run("meters.json", json.dumps(records, ensure_ascii=False).encode())
    assert code == 0 and (report["status"], report["rows"], report["changed"]) == ("applied", 1000, 1000), err
    assert importer.query("""SELECT service, unit, zones, decimals, count(*) FROM meters WHERE account LIKE '23000%'
                             GROUP BY 1, 2, 3, 4 ORDER BY 1, 4""") == [
        ("electricity", "kWh", 2, 1, 333), ("electricity", "kWh", 2, 2, 167),
        ("hot_water", "m3", 1, 2, 167), ("hot_water", "m3", 1, 3, 333)]


def test_rows_are_checked_against_the_registry_rules(importer):
    lines = [meter(240000001, "gas", zones="2"),                               # 3: a two-zone gas meter
             meter(240000002, digits="0"),                                     # 4
             meter(240000003, installed="2021-05-01", sealed="2021-04-30"),    # 5: sealed before installed
             meter(240000004, status="lost"),                                  # 6: unknown status
             meter(2400, serial="x1"),                                         # 7: account too short
             meter(240000006).replace(";;5;", ";kWh;5;"),                      # 8: kWh on a water meter
             meter(240000007, serial="ab cd"),                                 # 9
             meter(240000008, serial="DUP"), meter(240000008, serial="DUP")]   # 10, 11: the same meter twice
    code, report, _ = importer.run("bad-rules.csv", csv([meter(240000000)] + lines).encode())
    assert code == 1
    assert problems(report) == [(3, "zones", "import.bad_zones"), (4, "digits", "import.bad_digits"),
                                (5, "sealed_on", "import.bad_interval"), (6, "status", "import.bad_choice"),
                                (7, "account", "import.bad_account"), (8, "unit", "import.bad_unit"),
                                (9, "serial", "import.bad_serial"), (11, "serial", "import.duplicate_key")]
    assert importer.query("SELECT count(*) FROM meters WHERE account LIKE '2400%'") == [(0,)]


def test_the_kind_names_its_columns():
    assert KINDS["meters"].field_names == tuple(COLUMNS.split(";")) + ("status_reason",)

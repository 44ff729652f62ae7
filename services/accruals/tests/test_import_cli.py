"""`python -m accruals.importer` as a process against a real, migrated accruals database."""
import json
import os
import subprocess
import sys

import psycopg
import pytest

from gorod_runtime.imports.apply import connection_url


def inn10(prefix: int) -> str:
    digits = [int(c) for c in f"{prefix:09d}"]
    return f"{prefix:09d}{sum(w * d for w, d in zip((2, 4, 10, 3, 5, 9, 4, 6, 8), digits)) % 11 % 10}"


MC = inn10(222500001)            # the management company
WATER = inn10(222400002)         # a supplier
ORGANISATIONS = f"""inn;kpp;name;kind;bank_account;bank_name;bic;corr_account
{MC};222501001;ООО «УК Центральная»;management_company;;;;
{WATER};222401001;ООО «Барнаульский водоканал»;supplier;40702810400000000001;ПАО Сбербанк;040173604;30101810200000000604
"""
SERVICES = f"""code;name;kind;unit;method;recipient_inn;recipient_kpp
cold_water;Холодное водоснабжение;cold_water;m3;meter;{WATER};222401001
maintenance;Содержание жилого помещения;maintenance;m2;area;{MC};222501001
"""
ACCOUNT_COLUMNS = ("account;els;house_code;address;settlement;house_type;electric_stove;flat;premise_kind;rooms;total_area;"
                   "heated_area;living_area;residents;registered;owner_name;opened_on;closed_on;meter_installable;"
                   "management_company_inn;services")


def account_line(number: int, house: str = "H1", flat: int | None = None, area: str = "54,30", owner: str = "Иванов Иван Иванович",
                 services: str = "cold_water,maintenance", address: str | None = None) -> str:
    flat = number % 1000 if flat is None else flat
    address = address or f"г. Барнаул, ул. Ленина, д. {house}"
    return (f"{number};;{house};{address};urban;apartment_building;0;{flat};residential;2;{area};;;2;2;{owner};"
            f"01.02.2020;;да;{MC};{services}")


def accounts_csv(lines: list[str]) -> str:
    return ACCOUNT_COLUMNS + "\n" + "\n".join(lines) + "\n"


class Importer:
    def __init__(self, db_url, folder):
        self.db_url = db_url
        self.folder = folder
        self.count = 0

    def file(self, name: str, text: str, encoding: str = "utf-8"):
        self.count += 1
        path = self.folder / f"{self.count:03d}-{name}"
        path.write_bytes(text.encode(encoding))
        return path

    def run(self, kind, path, *args, env=None):
        process = subprocess.run([sys.executable, "-m", "accruals.importer", kind, str(path), "--json", "--operator", "test", *args],
                                 env={**os.environ, "GOROD_DB_URL": self.db_url, **(env or {})}, capture_output=True, timeout=120)
        return process.returncode, (json.loads(process.stdout) if process.stdout.strip() else None), process.stderr.decode()

    def load(self, kind, name, text, *args, encoding="utf-8"):
        """Import `text` and expect it applied; the report."""
        code, report, err = self.run(kind, self.file(name, text, encoding), *args)
        assert code == 0 and report["status"] in ("applied", "unchanged"), (code, report, err)
        return report

    def rejected(self, kind, name, text, *args):
        code, report, err = self.run(kind, self.file(name, text), *args)
        assert code == 1 and report["status"] == "rejected", (code, report, err)
        return report

    def query(self, sql, *params):
        with psycopg.connect(connection_url(self.db_url)) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def importer(make_database_module, tmp_path_factory):
    imp = Importer(make_database_module("accruals"), tmp_path_factory.mktemp("imports"))
    assert imp.load("organisations", "orgs.csv", ORGANISATIONS)["changed"] == 2
    assert imp.load("services", "services.csv", SERVICES)["changed"] == 2
    return imp


def problems(report):
    return [(p["line"], p["field"], p["code"]) for p in report["problems"]]


# -- kinds -----------------------------------------------------------------------------------

def test_reference_data_is_upserted_by_natural_key(importer):
    rows = importer.query("SELECT o.inn, o.kind, o.bic, s.code, s.method FROM services s JOIN organisations o ON o.id = s.recipient_id"
                          " ORDER BY s.code")
    assert rows == [(WATER, "supplier", "040173604", "cold_water", "meter"), (MC, "management_company", "", "maintenance", "area")]
    renamed = ORGANISATIONS.replace("ООО «УК Центральная»", "ООО «УК Центральная-2»")
    report = importer.load("organisations", "orgs-2.csv", renamed)
    assert (report["rows"], report["changed"]) == (2, 1)
    importer.load("organisations", "orgs-3.csv", ORGANISATIONS)
    bad = importer.rejected("organisations", "orgs-bad.csv", ORGANISATIONS.replace(f"{WATER};", f"{WATER[:-1]}0;").replace(
        "040173604", "04017360"))
    assert problems(bad) == [(3, "bic", "import.bad_bic"), (3, "inn", "import.bad_inn")]


def test_accounts_create_houses_premises_accounts_and_their_services(importer):
    lines = [account_line(200000001 + i, house=f"A{i // 3}", flat=i % 3 + 1) for i in range(9)]
    report = importer.load("accounts", "accounts.csv", accounts_csv(lines))
    assert (report["status"], report["rows"], report["changed"], report["problem_count"]) == ("applied", 9, 9, 0)
    [(houses, premises, accounts, services)] = importer.query("""
        SELECT count(DISTINCT h.id), count(DISTINCT p.id), count(DISTINCT a.number), count(x.*)
        FROM accounts a JOIN premises p ON p.id = a.premise_id JOIN houses h ON h.id = p.house_id
        JOIN account_services x ON x.account = a.number WHERE a.number LIKE '2000000%%'""")
    assert (houses, premises, accounts, services) == (3, 9, 9, 18)
    [row] = importer.query("""SELECT a.total_area::text, a.heated_area::text, a.opened_on::text, a.meter_installable, a.status,
                                     h.address, o.inn FROM accounts a JOIN premises p ON p.id = a.premise_id
                              JOIN houses h ON h.id = p.house_id JOIN organisations o ON o.id = h.management_company_id
                              WHERE a.number = '200000001'""")
    assert row == ("54.30", "54.30", "2020-02-01", True, "open", "г. Барнаул, ул. Ленина, д. A0", MC)

    # A changed area and one more service: those rows change, nothing else does.
    lines[4] = account_line(200000005, house="A1", flat=2, area="60,5")
    lines[7] = account_line(200000008, house="A2", flat=2, services="cold_water")
    report = importer.load("accounts", "accounts-2.csv", accounts_csv(lines))
    assert (report["rows"], report["changed"]) == (9, 1)
    # The same rows in another order (a new file): applied, nothing changed.
    report = importer.load("accounts", "accounts-3.csv", accounts_csv(lines[::-1]))
    assert (report["status"], report["changed"]) == ("applied", 0)
    # A house's address changes: every row of that house counts.
    moved = [line.replace("д. A1", "д. 1А") for line in lines]
    assert importer.load("accounts", "accounts-4.csv", accounts_csv(moved))["changed"] == 3


def test_tariffs_and_norms_are_upserted_and_must_not_overlap(importer):
    tariffs = """service_code;scope;variant;zone;component;range_from;range_to;valid_from;valid_to;rate
cold_water;;;;;;;2026-01-01;2026-06-30;51,45
cold_water;;;;;;;01.07.2026;;55.123456
maintenance;;;day;;0;3900;2026-01-01;;5.5
maintenance;;;day;;3900;;2026-01-01;;7.25
"""
    report = importer.load("tariffs", "tariffs.csv", tariffs)
    assert (report["rows"], report["changed"]) == (4, 4)
    assert importer.query("SELECT rate::text FROM tariffs WHERE service_code = 'cold_water' ORDER BY valid_from") == [
        ("51.450000",), ("55.123456",)]
    # A new rate for the same key replaces the old one; an identical file changes nothing.
    assert importer.load("tariffs", "tariffs-2.csv", tariffs.replace("51,45", "52"))["changed"] == 1
    assert importer.load("tariffs", "tariffs-3.csv", tariffs.replace("51,45", "52.000"))["changed"] == 0

    overlapping = """service_code;valid_from;valid_to;rate;zone;range_from;range_to
cold_water;2026-06-01;2026-12-31;60;;;
maintenance;2026-01-01;;1;night;;
maintenance;2026-02-01;;1;night;;
maintenance;2026-03-01;;9;day;3000;
"""
    report = importer.rejected("tariffs", "tariffs-bad.csv", overlapping)
    assert problems(report) == [(2, "valid_from", "import.overlap"), (4, "valid_from", "import.overlap"),
                                (5, "valid_from", "import.overlap")]
    assert "line 3" in report["problems"][1]["message"]
    assert "2026-01-01" in report["problems"][0]["message"]

    norms = """service_code;variant;rooms;residents;valid_from;valid_to;value;unit
cold_water;;1;1;2026-01-01;;6.93;m3/person
cold_water;;1;2;2026-01-01;;4,5;m3/person
cold_water;;1;1;2026-06-01;;7;m3/person
"""
    report = importer.rejected("norms", "norms-bad.csv", norms)
    assert problems(report) == [(4, "valid_from", "import.overlap")]
    report = importer.load("norms", "norms.csv", norms.replace("2026-01-01;;6.93", "2026-01-01;2026-05-31;6.93"))
    assert report["changed"] == 3
    assert importer.query("SELECT value::text FROM norms WHERE residents = 2") == [("4.5",)]


def test_opening_balances_and_charges_book_ledger_entries(importer):
    importer.load("accounts", "ledger-accounts.csv", accounts_csv([account_line(300000001, house="L1"),
                                                                   account_line(300000002, house="L1")]))
    report = importer.load("opening_balances", "opening.csv", f"""account;recipient_inn;date;amount_kopecks
300000001;{WATER};31.12.2025;150000
300000002;{MC};2025-12-31;-2500
""")
    assert report["changed"] == 2
    assert importer.query("""SELECT kind, amount_kopecks, entry_date::text, period::text, reference, created_by FROM ledger_entries
                             WHERE account = '300000001'""") == [
        ("opening_balance", 150000, "2025-12-31", "2025-12-01", f"opening:300000001:{WATER}", "test")]

    charges = """account;service_code;period;amount_kopecks;volume;reason
300000001;cold_water;2026-01;45678;8,5;показания
300000001;maintenance;2026-01;120000;;
300000002;cold_water;2026-01;9000;;
"""
    assert importer.load("charges", "charges.csv", charges)["changed"] == 3
    [entry] = importer.query("""SELECT e.recipient_id = o.id, e.entry_date::text, e.period::text, e.reason, e.reference
                                FROM ledger_entries e JOIN organisations o ON o.inn = %s
                                WHERE e.account = '300000001' AND e.service_code = 'cold_water'""", WATER)
    assert entry == (True, "2026-01-31", "2026-01-01", "показания", "charge:300000001:cold_water:2026-01")


def test_a_changed_charge_is_reversed_and_booked_again(importer):
    importer.load("accounts", "rebook-accounts.csv", accounts_csv([account_line(310000001, house="R1")]))

    def charge(amount):
        return f"account;service_code;period;amount_kopecks\n310000001;cold_water;2026-02;{amount}\n"

    def ledger():
        return importer.query("""SELECT kind, amount_kopecks, replace(reference, 'reversal:' || coalesce(reverses, 0), 'reversal:ID'),
                                        reverses = lag(id) OVER (ORDER BY id), entry_date::text
                                 FROM ledger_entries WHERE account = '310000001' ORDER BY id""")

    assert importer.load("charges", "c1.csv", charge(1000))["changed"] == 1
    assert importer.load("charges", "c1-again.csv", charge(1000))["status"] == "unchanged"
    assert importer.load("charges", "c1-copy.csv", charge("1000") + "\n")["changed"] == 0
    assert importer.load("charges", "c2.csv", charge(1200))["changed"] == 1
    base = "charge:310000001:cold_water:2026-02"
    assert ledger() == [("charge", 1000, base, None, "2026-02-28"), ("reversal", -1000, "reversal:ID", True, "2026-02-28"),
                        ("charge", 1200, base + "#2", None, "2026-02-28")]
    assert importer.load("charges", "c3.csv", charge(0))["changed"] == 1          # 0: only the reversal
    assert importer.load("charges", "c4.csv", charge(700))["changed"] == 1
    assert ledger()[3:] == [("reversal", -1200, "reversal:ID", True, "2026-02-28"), ("charge", 700, base + "#3", None, "2026-02-28")]
    [(balance,)] = importer.query("SELECT sum(amount_kopecks) FROM ledger_entries WHERE account = '310000001'")
    assert balance == 700
    # The first file again (F, G, F): its values come back; only the same bytes as the latest file are `unchanged`.
    again = importer.load("charges", "c1-once-more.csv", charge(1000))
    assert (again["status"], again["changed"]) == ("applied", 1)
    assert importer.load("charges", "c1-once-more-again.csv", charge(1000))["status"] == "unchanged"
    [(balance,)] = importer.query("SELECT sum(amount_kopecks) FROM ledger_entries WHERE account = '310000001'")
    assert balance == 1000


def test_a_changed_opening_balance_is_reversed_and_booked_again(importer):
    importer.load("accounts", "ob-accounts.csv", accounts_csv([account_line(320000001, house="O1")]))
    header = "account;recipient_inn;date;amount_kopecks\n"
    importer.load("opening_balances", "ob1.csv", f"{header}320000001;{MC};2025-12-31;500\n")
    assert importer.load("opening_balances", "ob2.csv", f"{header}320000001;{MC};2025-11-30;500\n")["changed"] == 1
    assert importer.query("SELECT kind, amount_kopecks, entry_date::text FROM ledger_entries WHERE account = '320000001'"
                          " ORDER BY id") == [
        ("opening_balance", 500, "2025-12-31"), ("reversal", -500, "2025-12-31"), ("opening_balance", 500, "2025-11-30")]


def test_charges_into_a_closed_period_are_refused(importer):
    importer.load("accounts", "closed-accounts.csv", accounts_csv([account_line(330000001, house="C1")]))
    importer.query("INSERT INTO periods (period, status) VALUES ('2025-06-01', 'closed') RETURNING period")
    report = importer.rejected("charges", "closed.csv",
                               "account;service_code;period;amount_kopecks\n330000001;cold_water;2025-06;10\n")
    assert problems(report) == [(2, "", "import.period_closed")]


# -- all or nothing, re-imports, encodings and formats ----------------------------------------

def test_one_bad_line_among_ten_thousand_applies_nothing(importer):
    lines = [account_line(400000000 + i, house=f"B{i // 100}", flat=i % 100 + 1) for i in range(10_001)]
    lines[5000] = account_line(400005000, house="B50", flat=1, area="54,305")       # file line 5002
    code, report, _ = importer.run("accounts", importer.file("big.csv", accounts_csv(lines)))
    assert code == 1
    assert (report["status"], report["rows"], report["changed"], report["problem_count"]) == ("rejected", 10_001, 0, 1)
    [problem] = report["problems"]
    assert (problem["line"], problem["field"], problem["code"]) == (5002, "total_area", "import.bad_area")
    assert importer.query("SELECT count(*) FROM accounts WHERE number LIKE '4000%%'") == [(0,)]
    assert importer.query("SELECT count(*) FROM houses WHERE code LIKE 'B%%'") == [(0,)]
    [(status, errors)] = importer.query("SELECT status, errors FROM imports WHERE id = %s", int(report["import_id"]))
    assert status == "rejected" and errors[0]["line"] == 5002

    # The corrected file applies all of it; the same bytes again change nothing.
    lines[5000] = account_line(400005000, house="B50", flat=1)
    path = importer.file("big-fixed.csv", accounts_csv(lines))
    code, report, _ = importer.run("accounts", path)
    assert (code, report["status"], report["changed"]) == (0, "applied", 10_001)
    before = importer.query("SELECT sum(xmin::text::bigint) FROM accounts")
    code, again, _ = importer.run("accounts", path)
    assert (code, again["status"], again["changed"], again["import_id"]) == (0, "unchanged", 0, report["import_id"])
    assert importer.query("SELECT sum(xmin::text::bigint) FROM accounts") == before


def test_a_cp1251_file_with_cyrillic_names_imports_correctly(importer):
    text = accounts_csv([account_line(410000001, house="Ц1", owner="Щукина Ёлка Фёдоровна", address="с. Ребриха, ул. Школьная, 5")])
    report = importer.load("accounts", "cp1251.csv", text, encoding="cp1251")
    assert report["changed"] == 1
    assert importer.query("""SELECT a.owner_name, h.code, h.address FROM accounts a JOIN premises p ON p.id = a.premise_id
                             JOIN houses h ON h.id = p.house_id WHERE a.number = '410000001'""") == [
        ("Щукина Ёлка Фёдоровна", "Ц1", "с. Ребриха, ул. Школьная, 5")]
    # Told explicitly, the same; told wrongly (UTF-8), a problem naming the line.
    importer.load("accounts", "cp1251-2.csv", text, "--encoding", "cp1251", encoding="cp1251")
    code, report, _ = importer.run("accounts", importer.file("cp1251-3.csv", text.replace("410000001", "410000002"), "cp1251"),
                                   "--encoding", "utf-8")
    assert code == 1 and problems(report) == [(2, "", "import.bad_encoding")]


def test_text_is_stored_as_written_whatever_its_characters(importer):
    lines = [account_line(415000001, house="T\\1", owner="None", address='ул. "Новая"\\2, д. 1'),
             account_line(415000002, house="T\\1", owner='"Ёж" \\Nтаб', address='ул. "Новая"\\2, д. 1')]
    text = accounts_csv([line.replace('ул. "Новая"\\2, д. 1', '"ул. ""Новая""\\2, д. 1"').replace('"Ёж" \\Nтаб', '"""Ёж"" \\Nтаб"')
                         for line in lines])
    assert importer.load("accounts", "text.csv", text)["changed"] == 2
    assert importer.query("""SELECT a.owner_name, h.code, h.address FROM accounts a JOIN premises p ON p.id = a.premise_id
                             JOIN houses h ON h.id = p.house_id WHERE a.number LIKE '41500000%%' ORDER BY a.number""") == [
        ("None", "T\\1", 'ул. "Новая"\\2, д. 1'), ('"Ёж" \\Nтаб', "T\\1", 'ул. "Новая"\\2, д. 1')]


def test_json_and_json_lines_import_like_csv(importer):
    records = [{"account": "420000001", "house_code": "J1", "address": "ул. Попова, 1", "flat": "1", "total_area": 54.3,
                "residents": 2, "registered": 2, "owner_name": "Петров Пётр", "opened_on": "2020-01-01", "electric_stove": True,
                "management_company_inn": MC, "services": ["cold_water", "maintenance"], "rooms": None},
               {"account": "420000002", "house_code": "J1", "address": "ул. Попова, 1", "flat": "2", "total_area": "40,1",
                "residents": 1, "registered": 1, "owner_name": "Сидорова Анна", "opened_on": "01.03.2021", "electric_stove": True,
                "management_company_inn": MC, "services": "cold_water"}]
    report = importer.load("accounts", "a.json", json.dumps(records, ensure_ascii=False))
    assert (report["rows"], report["changed"]) == (2, 2)
    jsonl = "\n".join(json.dumps({**r, "account": str(int(r["account"]) + 10)}, ensure_ascii=False) for r in records) + "\n"
    assert importer.load("accounts", "a.jsonl", jsonl)["changed"] == 2
    assert importer.query("""SELECT a.number, a.total_area::text, h.electric_stove, count(x.*) FROM accounts a
                             JOIN premises p ON p.id = a.premise_id JOIN houses h ON h.id = p.house_id
                             JOIN account_services x ON x.account = a.number WHERE a.number LIKE '4200000%%'
                             GROUP BY 1, 2, 3 ORDER BY 1""") == [
        ("420000001", "54.30", True, 2), ("420000002", "40.10", True, 1), ("420000011", "54.30", True, 2),
        ("420000012", "40.10", True, 1)]
    bad = importer.rejected("accounts", "bad.jsonl", jsonl.replace('"total_area": 54.3', '"total_area": -1') + '{"account": \n')
    assert problems(bad) == [(1, "total_area", "import.bad_area"), (3, "", "import.bad_json")]


# -- what is refused ---------------------------------------------------------------------------

def test_unknown_references_are_named_by_line_and_field(importer):
    report = importer.rejected("accounts", "unknown.csv", accounts_csv([
        account_line(430000001, house="U1"),
        account_line(430000002, house="U1", services="cold_water,gas"),
        account_line(430000003, house="U2").replace(MC, WATER[:-1] + "9"),
    ]))
    assert problems(report)[:2] == [(3, "services", "import.unknown_service"), (4, "management_company_inn", "import.bad_inn")]
    report = importer.rejected("charges", "unknown-charges.csv", """account;service_code;period;amount_kopecks
999999999;cold_water;2026-01;100
300000001;heating;2026-01;100
""")
    assert problems(report) == [(2, "account", "import.unknown_account"), (3, "service_code", "import.unknown_service")]
    report = importer.rejected("opening_balances", "unknown-ob.csv", """account;recipient_inn;date;amount_kopecks
300000001;7707083893;2025-12-31;100
""")
    assert problems(report) == [(2, "recipient_inn", "import.unknown_organisation")]
    report = importer.rejected("tariffs", "unknown-scope.csv", "service_code;scope;valid_from;rate\ncold_water;NOHOUSE;2027-01-01;1\n")
    assert problems(report) == [(2, "scope", "import.unknown_house")]
    report = importer.rejected("services", "unknown-recipient.csv",
                               "code;name;kind;unit;method;recipient_inn\nheating;Отопление;heating;Gcal;area;7707083893\n")
    assert problems(report) == [(2, "recipient_inn", "import.unknown_organisation")]


def test_duplicates_and_conflicts_within_a_file_are_problems(importer):
    report = importer.rejected("accounts", "dups.csv", accounts_csv([
        account_line(440000001, house="D1", flat=1), account_line(440000002, house="D1", flat=2),
        account_line(440000001, house="D1", flat=3),
        account_line(440000004, house="D1", flat=4, address="другой адрес"),
        account_line(440000005, house="D1", flat=2).replace(";residential;2;", ";residential;3;"),
    ]))
    assert problems(report) == [(4, "account", "import.duplicate_key"), (5, "address", "import.conflicting_house"),
                                (6, "rooms", "import.conflicting_premise")]
    # An account that exists already, twice in one file.
    report = importer.rejected("accounts", "dups-2.csv", accounts_csv([account_line(200000001, house="A0", flat=1),
                                                                       account_line(200000001, house="A0", flat=1)]))
    assert problems(report) == [(3, "account", "import.duplicate_key")]
    report = importer.rejected("charges", "dup-charges.csv", "account;service_code;period;amount_kopecks\n"
                               "300000001;cold_water;2026-03;1\n300000001;cold_water;2026-03;2\n")
    assert problems(report) == [(3, "account", "import.duplicate_key")]


def test_a_bad_header_and_an_empty_file_are_rejected(importer):
    report = importer.rejected("charges", "header.csv", "account;service;period;amount_kopecks\n1;2;3;4\n")
    assert problems(report) == [(1, "service", "import.unknown_column"), (1, "service_code", "import.missing_column")]
    assert problems(importer.rejected("charges", "empty.csv", "")) == [(0, "", "import.empty_file")]
    assert problems(importer.rejected("charges", "header-only.csv", "account;service_code;period;amount_kopecks\n")) == [
        (0, "", "import.empty_file")]


def test_usage_and_infrastructure_errors_exit_2_with_one_line(importer, tmp_path):
    path = importer.file("x.csv", "a\n")
    for args, expected in [(["meters", str(path)], "invalid choice"), (["charges", str(tmp_path / "missing.csv")], "cannot read"),
                           (["charges", str(importer.file("x.xlsx", "a"))], "cannot tell the format")]:
        process = subprocess.run([sys.executable, "-m", "accruals.importer", *args], capture_output=True, text=True,
                                 env=dict(os.environ, GOROD_DB_URL=importer.db_url), timeout=60)
        assert process.returncode == 2 and expected in process.stderr and process.stderr.count("\n") == 1, process.stderr
    code, _, err = importer.run("charges", path, env={"GOROD_DB_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert code == 2 and err.startswith("accruals.importer: cannot reach database") and err.count("\n") == 1, err


def test_the_human_report_lists_the_problems(importer):
    path = importer.file("human.csv", "account;service_code;period;amount_kopecks\n12;cold_water;2026-13;x\n")
    process = subprocess.run([sys.executable, "-m", "accruals.importer", "charges", str(path)], capture_output=True, text=True,
                             env=dict(os.environ, GOROD_DB_URL=importer.db_url), timeout=60)
    assert process.returncode == 1
    assert "rejected (charges, " in process.stdout and "problems: 3" in process.stdout
    assert "line 2: [import.bad_period] period: a period must be YYYY-MM" in process.stdout

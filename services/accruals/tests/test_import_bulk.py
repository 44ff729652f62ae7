"""The bulk path of an accounts import (an initial load): constraints and indexes are dropped and
made again in the same transaction. GOROD_IMPORT_BULK_ROWS lowers its threshold for the test."""
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


MC = inn10(222500005)
HEADER = "account;house_code;address;flat;rooms;total_area;residents;registered;owner_name;opened_on;management_company_inn;services"
SCHEMA = """
    SELECT 'c', conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated::text FROM pg_constraint
    WHERE conrelid IN ('premises'::regclass, 'accounts'::regclass, 'account_services'::regclass)
       OR confrelid IN ('premises'::regclass, 'accounts'::regclass, 'account_services'::regclass)
    UNION ALL
    SELECT 'i', tablename, indexname, indexdef, '' FROM pg_indexes WHERE tablename IN ('premises', 'accounts', 'account_services')
    ORDER BY 1, 2, 3"""


def line(number: int, flat: int, owner: str = "Орлова Нина", rooms: int = 2) -> str:
    return (f"{number};K{flat // 10};с. Власиха, ул. Садовая, д. {flat // 10};{flat};{rooms};40,5;1;1;{owner};2019-03-01;{MC};"
            "heating,maintenance")


@pytest.fixture
def bulk(make_database, tmp_path):
    db_url = make_database("accruals")
    env = {**os.environ, "GOROD_DB_URL": db_url, "GOROD_IMPORT_BULK_ROWS": "10"}

    def run(kind: str, text: str, name: str = "f.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "accruals.importer", kind, str(path), "--json", "--verbose"],
                              env=env, capture_output=True, timeout=120)
        return done.returncode, json.loads(done.stdout), done.stderr.decode()

    def query(sql):
        with psycopg.connect(connection_url(db_url)) as conn:
            return conn.execute(sql).fetchall()

    assert run("organisations", f"inn;kpp;name;kind\n{MC};222501001;ТСЖ «Садовое»;management_company\n")[0] == 0
    assert run("services", "code;name;kind;unit;method;recipient_inn;recipient_kpp\n"
                           f"heating;Отопление;heating;Gcal;norm;{MC};222501001\n"
                           f"maintenance;Содержание;maintenance;m2;area;{MC};222501001\n")[0] == 0
    return run, query


def test_an_initial_load_puts_every_constraint_and_index_back(bulk):
    run, query = bulk
    schema = query(SCHEMA)
    code, report, log = run("accounts", HEADER + "\n" + "\n".join(line(600000000 + i, i) for i in range(30)) + "\n")
    assert (code, report["status"], report["changed"]) == (0, "applied", 30)
    assert "DROP CONSTRAINT accounts_pkey" in log and "CREATE INDEX accounts_premise" in log      # it was a bulk load
    assert query(SCHEMA) == schema
    assert query("SELECT count(*), count(DISTINCT premise_id) FROM accounts") == [(30, 30)]
    assert query("SELECT count(*) FROM account_services") == [(60,)]
    assert query("SELECT count(*) FROM premises") == [(30,)]

    # Again larger than the table: existing rows are compared, new ones inserted.
    lines = [line(600000000 + i, i) for i in range(70)]
    lines[3] = line(600000003, 3, owner="Орлова Нина Петровна")
    code, report, log = run("accounts", HEADER + "\n" + "\n".join(lines) + "\n", "g.csv")
    assert (code, report["status"], report["changed"]) == (0, "applied", 41)
    assert "DROP CONSTRAINT accounts_pkey" in log
    assert query(SCHEMA) == schema
    assert query("SELECT owner_name FROM accounts WHERE number = '600000003'") == [("Орлова Нина Петровна",)]
    assert query("SELECT count(*) FROM accounts") == [(70,)]


def test_duplicates_in_an_initial_load_are_named_and_nothing_stays(bulk):
    run, query = bulk
    schema = query(SCHEMA)
    lines = [line(610000000 + i, i) for i in range(30)]
    lines[20] = line(610000004, 20)
    lines[25] = line(610000025, 5, rooms=3)
    code, report, _ = run("accounts", HEADER + "\n" + "\n".join(lines) + "\n")
    assert code == 1
    assert [(p["line"], p["field"], p["code"]) for p in report["problems"]] == [(22, "account", "import.duplicate_key"),
                                                                                  (27, "rooms", "import.conflicting_premise")]
    lines[25] = line(610000025, 25)
    code, report, _ = run("accounts", HEADER + "\n" + "\n".join(lines) + "\n", "g.csv")
    assert code == 1
    assert [(p["line"], p["field"], p["code"]) for p in report["problems"]] == [(22, "account", "import.duplicate_key")]
    assert query(SCHEMA) == schema
    assert query("SELECT count(*) FROM accounts") == [(0,)]

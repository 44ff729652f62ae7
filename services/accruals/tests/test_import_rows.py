"""Import rules without a database: values, rows, file formats."""
import json

import pytest

from accruals.imports.kinds import KINDS, References
from accruals.imports.request import ImportHeader
from gorod_runtime.errors import DomainError
from gorod_runtime.imports import fields, formats
from gorod_runtime.imports.fields import Invalid
from gorod_runtime.imports.problems import MAX_PROBLEMS, Problems
from gorod_runtime.imports.rows import Checker


def inn10(prefix: int) -> str:
    digits = [int(c) for c in f"{prefix:09d}"]
    return f"{prefix:09d}{sum(w * d for w, d in zip((2, 4, 10, 3, 5, 9, 4, 6, 8), digits)) % 11 % 10}"


# -- values ----------------------------------------------------------------------------------

@pytest.mark.parametrize("inn", ["7707083893", "2225000003", "500100732259", "7830002293", inn10(222400001)])
def test_inns_with_good_check_digits_pass(inn):
    assert fields.inn_valid(inn)
    assert fields.inn(inn) == inn


@pytest.mark.parametrize("inn", ["7707083894", "500100732258", "500100732269", "770708389", "77070838931", "77070838a3",
                                 "７７０７０８３８９３"])
def test_bad_inns_are_refused(inn):
    assert not fields.inn_valid(inn)
    with pytest.raises(Invalid) as caught:
        fields.inn(inn)
    assert caught.value.code == "import.bad_inn"


def test_kpp_bic_and_accounts_have_fixed_lengths():
    assert fields.kpp("222501001") == "222501001"
    assert fields.kpp("7701AB001") == "7701AB001"
    for parse, value, code in [(fields.kpp, "22250100", "import.bad_kpp"), (fields.bic, "04017360", "import.bad_bic"),
                               (fields.bank_account, "4070281040000000000", "import.bad_bank_account"),
                               (fields.corr_account, "3010181020000000060x", "import.bad_corr_account"),
                               (fields.account_number, "12345", "import.bad_account"),
                               (fields.account_number, "1234567890123", "import.bad_account")]:
        with pytest.raises(Invalid) as caught:
            parse(value)
        assert caught.value.code == code
    assert fields.account_number("000123") == "000123"      # leading zeros are kept


def test_decimals_accept_a_comma_or_a_point_and_keep_their_digits():
    area = fields.decimal(2, int_digits=6, positive=True, code="import.bad_area")
    assert area("54,3") == "54.3"
    assert area("54.30") == "54.30"
    assert area("007") == "7"
    rate = fields.decimal(6, int_digits=12, minimum=0, code="import.bad_rate")
    assert rate("51,123456") == "51.123456"
    for value, parse, code in [("54,305", area, "import.bad_area"), ("0", area, "import.bad_area"),
                               ("-1", area, "import.bad_area"), ("1 000", area, "import.bad_area"), ("1e3", area, "import.bad_area"),
                               ("1234567", area, "import.bad_area"), ("1.1234567", rate, "import.bad_rate"),
                               ("-0.5", rate, "import.bad_rate"), ("NaN", rate, "import.bad_rate")]:
        with pytest.raises(Invalid) as caught:
            parse(value)
        assert caught.value.code == code, value


def test_dates_in_both_forms_and_periods():
    assert fields.date("2026-01-31") == "2026-01-31"
    assert fields.date("31.01.2026") == "2026-01-31"
    assert fields.date("29.02.2024") == "2024-02-29"
    for bad in ["2026-02-30", "31.04.2026", "2026/01/31", "20260131", "1.1.2026", "1899-12-31", "2026-1-1"]:
        with pytest.raises(Invalid) as caught:
            fields.date(bad)
        assert caught.value.code == "import.bad_date", bad
    assert fields.period("2026-02") == "2026-02-01"
    assert fields.last_day("2026-02-01") == "2026-02-28"
    assert fields.last_day("2024-12-01") == "2024-12-31"
    for bad in ["2026-13", "2026-2", "02.2026", "2026-02-01"]:
        with pytest.raises(Invalid):
            fields.period(bad)


def test_booleans():
    for value, expected in [("1", True), ("0", False), ("да", True), ("НЕТ", False), ("True", True), ("false", False)]:
        assert fields.boolean(value) is expected
    for bad in ["yes", "2", "д"]:
        with pytest.raises(Invalid) as caught:
            fields.boolean(bad)
        assert caught.value.code == "import.bad_boolean"


def test_text_loses_line_breaks_and_refuses_nul():
    assert fields.text(50)("Иванов\tИван\r\nИванович") == "Иванов Иван Иванович"
    with pytest.raises(Invalid) as caught:
        fields.text(5)("Иванов")
    assert caught.value.code == "import.too_long"
    with pytest.raises(Invalid):
        fields.text(50)("a\x00b")


# -- rows ------------------------------------------------------------------------------------

MC = inn10(222500000)
REFS = References(organisations={(MC, "222501001"): 1}, organisation_kinds={1: "management_company"},
                  services={"cold_water": 2, "maintenance": 1})
ACCOUNT = {"account": "100000001", "els": "", "house_code": "H1", "address": "г. Барнаул, ул. Ленина, д. 1",
           "settlement": "urban", "house_type": "apartment_building", "electric_stove": "0", "flat": "1",
           "premise_kind": "residential", "rooms": "2", "total_area": "54,3", "heated_area": "", "living_area": "30",
           "residents": "2", "registered": "2", "owner_name": "Иванов Иван Иванович", "opened_on": "01.02.2020",
           "closed_on": "", "meter_installable": "да", "management_company_inn": MC, "services": "cold_water, maintenance"}


def check(kind: str, *rows: dict, header: list[str] | None = None):
    problems = Problems()
    header = header or list(rows[0])
    checker = Checker(KINDS[kind], header, REFS, problems)
    staged = [checker.check(line, [row.get(name, "") for name in header]) for line, row in enumerate(rows, start=2)]
    return staged, problems.first()


def test_a_good_account_row_is_staged_with_defaults_filled_in():
    [row], problems = check("accounts", ACCOUNT)
    assert problems == []
    assert row[:10] == (2, "100000001", None, "H1", "1", "residential", 2, "54.3", "54.3", "30")
    assert row[-5:] == ("open", "2020-02-01", None, True, ["cold_water", "maintenance"])


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"total_area": "-5"}, "total_area", "import.bad_area"),
    ({"heated_area": "60"}, "heated_area", "import.bad_area"),
    ({"account": "12a45678"}, "account", "import.bad_account"),
    ({"owner_name": " "}, "owner_name", "import.required"),
    ({"settlement": "town"}, "settlement", "import.bad_choice"),
    ({"opened_on": "2020-02-30"}, "opened_on", "import.bad_date"),
    ({"closed_on": "2019-01-01"}, "closed_on", "import.bad_date"),
    ({"meter_installable": "maybe"}, "meter_installable", "import.bad_boolean"),
    ({"management_company_inn": "7707083894"}, "management_company_inn", "import.bad_inn"),
    ({"management_company_inn": "7707083893"}, "management_company_inn", "import.unknown_organisation"),
    ({"services": "cold_water,hot_water"}, "services", "import.unknown_service"),
    ({"residents": "1000"}, "residents", "import.bad_residents"),
])
def test_a_bad_account_value_is_named_by_line_field_and_code(change, field, code):
    [row], problems = check("accounts", {**ACCOUNT, **change})
    assert row is None
    assert [(p.line, p.field, p.code) for p in problems] == [(2, field, code)]
    assert problems[0].message.startswith(field + ": ")


def test_a_house_described_differently_on_a_later_line_is_a_problem():
    rows, problems = check("accounts", ACCOUNT, {**ACCOUNT, "account": "100000002", "flat": "2"},
                           {**ACCOUNT, "account": "100000003", "address": "ул. Другая, 5"})
    assert rows[2] is None
    assert [(p.line, p.field, p.code) for p in problems] == [(4, "address", "import.conflicting_house")]
    assert "line 2" in problems[0].message


def test_the_header_must_have_the_required_columns_and_no_unknown_ones():
    problems = Problems()
    checker = Checker(KINDS["charges"], ["account", "service_code", "periode", "amount_kopecks", "account"], REFS, problems)
    assert not checker.header_ok
    assert {(p.field, p.code) for p in problems.first()} == {
        ("periode", "import.unknown_column"), ("account", "import.duplicate_column"), ("period", "import.missing_column")}


def test_optional_columns_may_be_left_out_and_a_short_row_is_a_problem():
    staged, problems = check("charges", {"account": "100000001", "service_code": "cold_water", "period": "2026-01",
                                         "amount_kopecks": "-1250"})
    assert problems == []
    assert staged[0] == (2, "100000001", 2, "cold_water", "2026-01-31", "2026-01-01", -1250, "", "charge:100000001:cold_water:2026-01")
    problems = Problems()
    checker = Checker(KINDS["charges"], ["account", "service_code", "period", "amount_kopecks"], REFS, problems)
    assert checker.check(7, ["100000001", "cold_water", "2026-01"]) is None
    assert [(p.line, p.code) for p in problems.first()] == [(7, "import.bad_row")]


def test_tariff_rows_check_their_interval_range_and_rate():
    base = {"service_code": "cold_water", "valid_from": "2026-01-01", "rate": "51,45"}
    [row], problems = check("tariffs", base)
    assert problems == [] and row == (2, "cold_water", "", "", "", "", "0", None, "2026-01-01", None, "51.45")
    for change, field, code in [({"valid_to": "2025-12-31"}, "valid_to", "import.bad_interval"),
                                ({"range_from": "100", "range_to": "100"}, "range_to", "import.bad_range"),
                                ({"rate": "1.1234567"}, "rate", "import.bad_rate"),
                                ({"zone": "evening"}, "zone", "import.bad_choice"),
                                ({"service_code": "gas"}, "service_code", "import.unknown_service")]:
        [row], problems = check("tariffs", {**base, **change})
        assert [(p.field, p.code) for p in problems] == [(field, code)], change


def test_problems_keep_the_first_thousand_by_line_and_count_all():
    problems = Problems()
    for line in range(2000, 0, -1):
        problems.add(line, "f", "import.x", "m")
    problems.extend([], total=0)
    assert problems.count == 2000
    assert len(problems.first()) == MAX_PROBLEMS


# -- file formats ----------------------------------------------------------------------------

def read_all(path, fmt, encoding="auto", columns=("a", "b")):
    problems = Problems()
    scan = formats.scan(str(path), fmt, encoding, problems)
    header, rows = formats.read(str(path), fmt, scan.encoding, columns, problems, ("b",))
    return scan, header, list(rows), problems.first()


def test_csv_in_utf8_with_a_bom_or_cp1251_is_detected(tmp_path):
    text = "a;b\nИванов;\"Ленина; д. 1\"\n"
    (tmp_path / "u.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "w.csv").write_bytes(text.encode("cp1251"))
    for name, encoding in [("u.csv", "utf-8"), ("w.csv", "cp1251")]:
        scan, header, rows, problems = read_all(tmp_path / name, "csv")
        assert (scan.encoding, header, rows, problems) == (encoding, ["a", "b"], [(2, ["Иванов", "Ленина; д. 1"])], [])


def test_csv_lines_are_counted_across_quoted_line_breaks_and_blank_lines(tmp_path):
    (tmp_path / "f.csv").write_text('a;b\n1;"two\nlines"\n\n;\n3;x\n', encoding="utf-8")
    _, _, rows, problems = read_all(tmp_path / "f.csv", "csv")
    assert rows == [(2, ["1", "two\nlines"]), (6, ["3", "x"])]
    assert problems == []


def test_forced_utf8_on_cp1251_bytes_names_the_line(tmp_path):
    (tmp_path / "f.csv").write_bytes("a;b\n1;2\nИванов;3\n".encode("cp1251"))
    problems = Problems()
    formats.scan(str(tmp_path / "f.csv"), "csv", "utf-8", problems)
    assert [(p.line, p.code) for p in problems.first()] == [(3, "import.bad_encoding")]


def test_json_arrays_and_json_lines(tmp_path):
    (tmp_path / "f.json").write_text(json.dumps([{"a": 1.5, "b": ["x", "y"]}, {"a": True, "b": None}, {"c": 1}]), encoding="utf-8")
    _, header, rows, problems = read_all(tmp_path / "f.json", "json")
    assert header == ["a", "b"]
    assert rows == [(1, ["1.5", "x,y"]), (2, ["true", ""]), (3, ["", ""])]
    assert [(p.line, p.field, p.code) for p in problems] == [(3, "c", "import.unknown_column")]

    (tmp_path / "f.jsonl").write_text('{"a": "1"}\n\n{"a": [1]}\n{"a": 2\n["x"]\n', encoding="utf-8")
    _, _, rows, problems = read_all(tmp_path / "f.jsonl", "jsonl")
    assert rows == [(1, ["1", ""])]
    assert [(p.line, p.code) for p in problems] == [(3, "import.bad_value"), (4, "import.bad_json"), (5, "import.bad_record")]


def test_a_json_file_that_is_not_an_array_or_is_cut_short(tmp_path):
    (tmp_path / "o.json").write_text('{"a": 1}', encoding="utf-8")
    (tmp_path / "c.json").write_text('[{"a": 1}, {"a": 2}, {"a": ', encoding="utf-8")
    assert [p.code for p in read_all(tmp_path / "o.json", "json")[3]] == ["import.bad_json"]
    _, _, rows, problems = read_all(tmp_path / "c.json", "json")
    assert len(rows) == 2 and [(p.line, p.code) for p in problems] == [(3, "import.bad_json")]


def test_a_header_names_a_known_kind_and_format():
    assert ImportHeader("accounts", "dir/ЛС.CSV", "Windows-1251").checked() == ImportHeader("accounts", "ЛС.CSV", "cp1251")
    for header, code in [(ImportHeader("", "a.csv"), "import.kind_required"), (ImportHeader("meters", "a.csv"), "import.bad_kind"),
                         (ImportHeader("accounts", "a.xlsx"), "import.bad_format"),
                         (ImportHeader("accounts", ""), "import.filename_required"),
                         (ImportHeader("accounts", "a.csv", "koi8-r"), "import.bad_encoding")]:
        with pytest.raises(DomainError) as caught:
            header.checked()
        assert caught.value.code == code

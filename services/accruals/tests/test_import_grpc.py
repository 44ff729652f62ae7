"""ImportFile (a client stream) against a real accruals service process and database."""
import grpc
import psycopg
import pytest
from google.rpc import status_pb2

from gorod.accruals.v1 import accruals_pb2, accruals_pb2_grpc
from gorod.common.v1 import common_pb2
from gorod_runtime.imports.apply import connection_url


def inn10(prefix: int) -> str:
    digits = [int(c) for c in f"{prefix:09d}"]
    return f"{prefix:09d}{sum(w * d for w, d in zip((2, 4, 10, 3, 5, 9, 4, 6, 8), digits)) % 11 % 10}"


MC = inn10(222500003)
ORGANISATIONS = f"inn;kpp;name;kind\n{MC};222501001;ООО «УК Южная»;management_company\n"
SERVICES = f"code;name;kind;unit;method;recipient_inn;recipient_kpp\nmaintenance;Содержание;maintenance;m2;area;{MC};222501001\n"
COLUMNS = ("account;house_code;address;flat;total_area;residents;registered;owner_name;opened_on;management_company_inn;services")


def accounts(first: int, count: int, bad_line: int | None = None) -> str:
    lines = [COLUMNS]
    for i in range(count):
        area = "-1" if i + 2 == bad_line else "48,2"
        lines.append(f"{first + i};G{i // 50};г. Барнаул, пр-кт Строителей, {i // 50 + 1};{i % 50 + 1};{area};1;1;"
                     f"Кузнецова Мария Петровна;2021-05-01;{MC};maintenance")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def service(make_database_module, start_service_module):
    db_url = make_database_module("accruals")
    process = start_service_module("accruals.service:AccrualsService", db_url)
    with grpc.insecure_channel(process.address) as channel:
        stub = accruals_pb2_grpc.AccrualsServiceStub(channel)
        yield stub, db_url


def send(stub, kind, filename, data: bytes, encoding="", operator="grpc-test", chunk=4096):
    def messages():
        yield accruals_pb2.ImportChunk(kind=kind, filename=filename, encoding=encoding, operator=operator, data=data[:chunk])
        for start in range(chunk, len(data), chunk):
            yield accruals_pb2.ImportChunk(data=data[start:start + chunk])
    return stub.ImportFile(messages(), timeout=60)


def test_a_streamed_file_is_imported_and_a_second_time_is_unchanged(service):
    stub, db_url = service
    assert send(stub, "organisations", "orgs.csv", ORGANISATIONS.encode()).status == "applied"
    assert send(stub, "services", "services.csv", SERVICES.encode()).status == "applied"
    data = accounts(500000000, 2000).encode("cp1251")
    report = send(stub, "accounts", "ЛС юг.csv", data, encoding="cp1251")
    assert (report.status, report.rows, report.changed, report.problem_count) == ("applied", 2000, 2000, 0)
    again = send(stub, "accounts", "ЛС юг.csv", data, chunk=65536)
    assert (again.status, again.changed, again.import_id) == ("unchanged", 0, report.import_id)
    with psycopg.connect(connection_url(db_url)) as conn:
        assert conn.execute("SELECT count(*), min(owner_name) FROM accounts WHERE number LIKE '5000%'").fetchone() == (
            2000, "Кузнецова Мария Петровна")
        assert conn.execute("SELECT filename, created_by, status FROM imports WHERE id = %s", (int(report.import_id),)).fetchone() == (
            "ЛС юг.csv", "grpc-test", "applied")


def test_a_bad_line_rejects_the_whole_stream_and_is_named(service):
    stub, db_url = service
    report = send(stub, "accounts", "bad.csv", accounts(510000000, 3000, bad_line=2501).encode())
    assert (report.status, report.rows, report.changed, report.problem_count) == ("rejected", 3000, 0, 1)
    [problem] = report.problems
    assert (problem.line, problem.field, problem.code) == (2501, "total_area", "import.bad_area")
    assert problem.message.startswith("total_area: ")
    with psycopg.connect(connection_url(db_url)) as conn:
        assert conn.execute("SELECT count(*) FROM accounts WHERE number LIKE '5100%'").fetchone() == (0,)


def test_a_json_lines_stream(service):
    stub, _ = service
    data = (b'{"account": "520000001", "house_code": "J9", "address": "ul. 1", "total_area": 30, "residents": 1, '
            b'"registered": 1, "owner_name": "X", "opened_on": "2020-01-01", "services": ["maintenance"]}\n')
    report = send(stub, "accounts", "a.jsonl", data)
    assert (report.status, report.changed) == ("applied", 1)


@pytest.mark.parametrize(("kind", "filename", "encoding", "code", "field"), [
    ("meters", "a.csv", "", "import.bad_kind", "kind"),
    ("", "a.csv", "", "import.kind_required", "kind"),
    ("accounts", "a.xlsx", "", "import.bad_format", "filename"),
    ("accounts", "a.csv", "koi8-r", "import.bad_encoding", "encoding"),
])
def test_a_bad_header_is_invalid_argument_with_a_stable_code(service, kind, filename, encoding, code, field):
    stub, _ = service
    with pytest.raises(grpc.RpcError) as caught:
        send(stub, kind, filename, b"account\n1\n", encoding=encoding)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = status_pb2.Status.FromString(dict(caught.value.trailing_metadata())["grpc-status-details-bin"])
    detail = common_pb2.ErrorDetail()
    status.details[0].Unpack(detail)
    assert (detail.code, detail.field) == (code, field)

"""ImportFile (a client stream) against a real meters service process and database."""
import grpc
import psycopg
import pytest
from google.rpc import status_pb2

from gorod.meters.v1 import meters_pb2, meters_pb2_grpc
from gorod_runtime.imports.apply import connection_url

COLUMNS = "account;service;serial;zones;placement;digits;installed_on;sealed_on"


def registry(first: int, count: int, bad_line: int | None = None) -> str:
    lines = [COLUMNS]
    for i in range(count):
        zones = "3" if i + 2 == bad_line else "2"        # a three-zone meter is fine; on gas it is not
        service = "gas" if i + 2 == bad_line else "electricity"
        lines.append(f"{first + i};{service};Э{i:06d};{zones};щиток на площадке;6;2022-04-01;02.04.2022")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def service(make_database_module, start_service_module):
    db_url = make_database_module("meters")
    process = start_service_module("meters.service:MetersService", db_url)
    with grpc.insecure_channel(process.address) as channel:
        yield meters_pb2_grpc.MetersServiceStub(channel), db_url


def send(stub, filename, data: bytes, kind="meters", encoding="", chunk=4096):
    def messages():
        yield meters_pb2.ImportChunk(kind=kind, filename=filename, encoding=encoding, operator="grpc-test", data=data[:chunk])
        for start in range(chunk, len(data), chunk):
            yield meters_pb2.ImportChunk(data=data[start:start + chunk])
    return stub.ImportFile(messages(), timeout=60)


def test_a_streamed_file_is_imported_and_a_second_time_is_unchanged(service):
    stub, db_url = service
    data = registry(300000000, 1500).encode("cp1251")
    report = send(stub, "приборы.csv", data, encoding="cp1251")
    assert (report.status, report.rows, report.changed, report.problem_count) == ("applied", 1500, 1500, 0)
    again = send(stub, "приборы.csv", data, chunk=65536)
    assert (again.status, again.changed, again.import_id) == ("unchanged", 0, report.import_id)
    with psycopg.connect(connection_url(db_url)) as conn:
        assert conn.execute("SELECT count(*), min(placement), min(unit) FROM meters WHERE account LIKE '3000%'").fetchone() == (
            1500, "щиток на площадке", "kWh")


def test_a_bad_line_is_reported_and_a_bad_header_is_refused(service):
    stub, _ = service
    report = send(stub, "bad.csv", registry(310000000, 300, bad_line=101).encode())
    assert report.status == "rejected" and [(p.line, p.field, p.code) for p in report.problems] == [
        (101, "zones", "import.bad_zones")]
    with pytest.raises(grpc.RpcError) as caught:
        send(stub, "meters.csv", b"", kind="accounts")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = status_pb2.Status.FromString(dict(caught.value.trailing_metadata())["grpc-status-details-bin"])
    assert "import.bad_kind" in str(status)

"""A large CSV file checked in worker processes gives exactly what the serial reader gives.

The importer runs as a process with tiny chunks (GOROD_IMPORT_CHUNK_BYTES) so that a file of a
few hundred lines is cut into many chunks; the same file imported serially into another
database is the reference."""
import pathlib
import sys

import pytest

from gorod_runtime.imports import formats, parallel

sys.path.insert(0, str(pathlib.Path(__file__).parent))   # the CLI tests' helpers (pytest imports modules by path)
from test_import_cli import ORGANISATIONS, SERVICES, Importer, account_line, accounts_csv  # noqa: E402

PARALLEL = {"GOROD_IMPORT_PARALLEL_BYTES": "1", "GOROD_IMPORT_CHUNK_BYTES": "1500", "GOROD_IMPORT_WORKERS": "2"}
SERIAL = {"GOROD_IMPORT_PARALLEL_BYTES": str(1 << 40)}
SNAPSHOT = """
    SELECT a.number, a.els, h.code, h.address, h.electric_stove, h.management_company_id, p.number, p.kind, p.rooms,
           a.total_area, a.heated_area, a.living_area, a.residents, a.registered, a.owner_name, a.status, a.opened_on,
           a.closed_on, a.meter_installable,
           (SELECT string_agg(s.service_code || '@' || s.valid_from, ',' ORDER BY s.service_code)
            FROM account_services s WHERE s.account = a.number)
    FROM accounts a JOIN premises p ON p.id = a.premise_id JOIN houses h ON h.id = p.house_id ORDER BY a.number"""


def many(count: int = 400, first: int = 700000000) -> list[str]:
    return [account_line(first + i, house=f"P{i // 37}", flat=i % 37 + 1, area=f"{40 + i % 30},{i % 100:02d}",
                         owner=f"Жукова Ёлка {i}", services="cold_water,maintenance" if i % 3 else "maintenance")
            for i in range(count)]


@pytest.fixture
def pair(make_database, tmp_path):
    """Two fresh databases with the same organisations and services: (parallel, serial)."""
    importers = []
    for name in ("parallel", "serial"):
        folder = tmp_path / name
        folder.mkdir()
        imp = Importer(make_database("accruals"), folder)
        imp.load("organisations", "organisations.csv", ORGANISATIONS)
        imp.load("services", "services.csv", SERVICES)
        importers.append(imp)
    return importers


def both(pair, kind: str, name: str, data: bytes):
    """Import the same bytes in parallel and serially: the two (exit code, report)."""
    results = []
    for imp, env in zip(pair, (PARALLEL, SERIAL)):
        path = imp.folder / name
        path.write_bytes(data)
        code, report, err = imp.run(kind, path, env=env)
        assert report is not None, err
        report.pop("import_id")
        results.append((code, report))
    return results


def test_chunks_cover_the_file_and_cut_after_line_breaks_outside_quotes(tmp_path):
    text = accounts_csv(many(120)).replace("Жукова Ёлка 7;", '"Жукова; Ёлка 7";').replace("Жукова Ёлка 9;", '"Жукова\nЁлка 9";')
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode())
    data = path.read_bytes()
    found = list(parallel.chunks(str(path), 700))
    assert len(found) > 10
    assert found[0][0] == 0 and found[-1][1] == len(data)
    for (start, end, lines), (next_start, _, _) in zip(found, found[1:]):
        assert end == next_start and data[end - 1:end] == b"\n"
        assert data[:start].count(b'"') % 2 == 0
        assert lines == data[:start].count(b"\n")


def test_a_good_file_gives_the_same_database(pair):
    data = accounts_csv(many()).replace("\n", "\r\n").encode("cp1251")
    (code, report), (serial_code, serial_report) = both(pair, "accounts", "accounts.csv", data)
    assert code == serial_code == 0 and report == serial_report and report["changed"] == 400, report
    rows = pair[0].query(SNAPSHOT)
    assert rows == pair[1].query(SNAPSHOT) and len(rows) == 400
    assert rows[5][14] == "Жукова Ёлка 5"


@pytest.mark.parametrize("case", ["bad value", "house differs across chunks", "quoted line break", "bare CR"])
def test_any_irregularity_gives_the_serial_result(pair, case):
    lines = many()
    if case == "bad value":
        lines[333] = lines[333].replace(";2;2;", ";2;два;", 1)
    elif case == "house differs across chunks":
        # House P0's lines all come first; a line near the end names it with another address.
        lines[390] = account_line(700000390, house="P0", flat=99, address="г. Барнаул, ул. Другая, д. 1")
    elif case == "quoted line break":
        lines[200] = lines[200].replace("Жукова Ёлка 200", '"Жукова\nЁлка 200"')
    text = accounts_csv(lines)
    if case == "bare CR":
        text = text.replace("\n", "\r")
    (code, report), (serial_code, serial_report) = both(pair, "accounts", "accounts.csv", text.encode())
    assert (code, report) == (serial_code, serial_report)
    if case in ("bare CR", "quoted line break"):        # good files, read serially or in chunks
        assert code == 0 and report["changed"] == 400
        assert pair[0].query(SNAPSHOT) == pair[1].query(SNAPSHOT)
    else:
        assert code == 1 and report["status"] == "rejected" and report["problems"], report
        assert pair[0].query("SELECT count(*) FROM accounts") == [(0,)]


@pytest.mark.parametrize("byte", [b"\xc0", b"\x98"], ids=["cp1251 after the first block", "neither encoding"])
def test_an_encoding_only_the_end_of_the_file_shows_gives_the_serial_result(pair, byte):
    # The parallel import guesses the encoding from the file's first block (formats.BLOCK) and
    # leaves the rest to the workers' decoding: a later byte that is not UTF-8 sends it to the
    # serial reader, which reads the whole file as cp1251 (auto) or rejects a byte neither reads.
    lines = many(9000)
    data = accounts_csv(lines).encode()
    assert len(data) > 1.5 * formats.BLOCK
    last = data.rindex("Жукова".encode())       # on the last line
    data = data[:last] + byte + data[last + 1:]
    (code, report), (serial_code, serial_report) = both(pair, "accounts", "accounts.csv", data)
    assert (code, report) == (serial_code, serial_report)
    # cp1251 throughout: the UTF-8 «да» of line 2 reads as «РґР°», not a yes/no value.
    first = report["problems"][0]
    assert code == 1 and first["code"] == ("import.bad_boolean" if byte == b"\xc0" else "import.bad_encoding"), first


def test_the_import_process_leaves_no_workers(pair, tmp_path):
    path = pathlib.Path(pair[0].folder / "a.csv")
    path.write_bytes(accounts_csv(many(100)).encode())
    code, report, err = pair[0].run("accounts", path, env=PARALLEL)
    assert code == 0 and report["changed"] == 100, err

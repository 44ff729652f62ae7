"""ImportFile in a nameko service: a client stream of chunks in, the importer's report out.

The import itself (CPU-heavy checks, psycopg 3 and COPY) must not run in a nameko worker
(eventlet: psycopg 3 would block the whole process), so the chunks are written to a temporary
file (at most MAX_FILE_BYTES) and ``python -m <service>.importer ... --json`` runs as a child
process, waited for with eventlet's green subprocess; its JSON report is the answer.

The messages have the same shape in every service: the first carries ``kind``, ``filename``,
``encoding`` and ``operator`` (and may carry ``data``), the following ones only ``data``; the
answer has ``import_id``, ``status``, ``rows``, ``changed``, ``problem_count`` and
``problems`` (``line``, ``field``, ``code``, ``message``).
"""
from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator

from eventlet.green import subprocess

from gorod_runtime.errors import DomainError
from gorod_runtime.imports.problems import Report
from gorod_runtime.imports.request import ImportHeader

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024**3       # 2 GiB: about 7 million account lines
TIMEOUT_S = 3600


class ImportFailed(RuntimeError):
    """The importer could not run (database down, crash): an infrastructure error."""


def file_from_stream(request_stream, header_class: type[ImportHeader]) -> tuple[ImportHeader, Iterator[bytes]]:
    """The header (from the first message) and the file's bytes, chunk by chunk, as they arrive."""
    messages = iter(request_stream)
    first = next(messages, None)
    if first is None:
        raise DomainError("import.kind_required", "the stream is empty: the first message must name the kind and the file", "kind")
    header = header_class(kind=first.kind.strip(), filename=first.filename.strip(), encoding=first.encoding.strip() or "auto",
                          operator=first.operator.strip()).checked()

    def chunks() -> Iterator[bytes]:
        if first.data:
            yield first.data
        for message in messages:
            if message.data:
                yield message.data

    return header, chunks()


def report_response(report: Report, response_class):
    """The report as the service's ImportReport message."""
    response = response_class(import_id=report.import_id, status=report.status, rows=report.rows, changed=report.changed,
                              problem_count=report.problem_count)
    for p in report.problems:
        response.problems.add(line=p.line, field=p.field, code=p.code, message=p.message)
    return response


def import_stream(module: str, db_url: str, header: ImportHeader, chunks: Iterable[bytes]) -> Report:
    """Spool the chunks to a temporary file and run ``python -m <module>`` on it."""
    header = header.checked()
    fd, path = tempfile.mkstemp(prefix="gorod-import-", suffix=os.path.splitext(header.filename)[1])
    try:
        size = 0
        with os.fdopen(fd, "wb") as spool:
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise DomainError("import.too_large", f"the file is larger than {MAX_FILE_BYTES // 1024**3} GiB; split it",
                                      "data")
                spool.write(chunk)
        return run_importer(module, db_url, header, path)
    finally:
        os.unlink(path)


def run_importer(module: str, db_url: str, header: ImportHeader, path: str) -> Report:
    command = [sys.executable, "-m", module, header.kind, path, "--json", "--encoding", header.encoding,
               "--operator", header.operator, "--filename", header.filename]
    env = dict(os.environ, GOROD_DB_URL=db_url)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise ImportFailed(f"the importer did not finish in {TIMEOUT_S} s") from None
    if process.returncode in (0, 1):
        try:
            return Report.from_dict(json.loads(out))
        except (ValueError, KeyError) as exc:
            raise ImportFailed(f"the importer's report is not readable: {exc}") from None
    reason = err.decode("utf-8", "replace").strip().splitlines()
    raise ImportFailed(f"the importer exited with {process.returncode}: {reason[-1] if reason else 'no message'}")

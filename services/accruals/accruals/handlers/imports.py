"""Import use case for the gRPC entrypoint: spool the streamed file, run the importer beside.

The import itself (CPU-heavy checks, psycopg 3 and COPY) must not run in a nameko worker
(eventlet: psycopg 3 would block the whole process), so the chunks are written to a temporary
file (at most MAX_FILE_BYTES) and `python -m accruals.importer ... --json` runs as a child
process, waited for with eventlet's green subprocess; its JSON report is the answer.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterable

from eventlet.green import subprocess

from accruals.imports.problems import Report
from accruals.imports.request import ImportHeader
from gorod_runtime.errors import DomainError

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024**3       # 2 GiB: about 7 million account lines
TIMEOUT_S = 3600


class ImportFailed(RuntimeError):
    """The importer could not run (database down, crash): an infrastructure error."""


def import_stream(settings, header: ImportHeader, chunks: Iterable[bytes]) -> Report:
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
        return run_importer(settings.db_url, header, path)
    finally:
        os.unlink(path)


def run_importer(db_url: str, header: ImportHeader, path: str) -> Report:
    command = [sys.executable, "-m", "accruals.importer", header.kind, path, "--json", "--encoding", header.encoding,
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

"""Proto <-> domain mapping for ImportFile (a client stream of ImportChunk)."""
from __future__ import annotations

from collections.abc import Iterator

from accruals.imports.request import ImportHeader
from gorod.accruals.v1 import accruals_pb2
from gorod_runtime.imports import stream
from gorod_runtime.imports.problems import Report


def file_from_stream(request_stream) -> tuple[ImportHeader, Iterator[bytes]]:
    """The header (from the first message) and the file's bytes, chunk by chunk, as they arrive."""
    return stream.file_from_stream(request_stream, ImportHeader)


def report_response(report: Report) -> accruals_pb2.ImportReport:
    return stream.report_response(report, accruals_pb2.ImportReport)

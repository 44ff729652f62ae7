"""Proto <-> domain mapping for ImportFile (a client stream of ImportChunk)."""
from __future__ import annotations

from collections.abc import Iterator

from gorod.meters.v1 import meters_pb2
from gorod_runtime.imports import stream
from gorod_runtime.imports.problems import Report
from meters.imports.request import ImportHeader


def file_from_stream(request_stream) -> tuple[ImportHeader, Iterator[bytes]]:
    """The header (from the first message) and the file's bytes, chunk by chunk, as they arrive."""
    return stream.file_from_stream(request_stream, ImportHeader)


def report_response(report: Report) -> meters_pb2.ImportReport:
    return stream.report_response(report, meters_pb2.ImportReport)

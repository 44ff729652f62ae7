"""Proto <-> domain mapping for ImportFile (a client stream of ImportChunk)."""
from __future__ import annotations

from collections.abc import Iterator

from accruals.imports.problems import Report
from accruals.imports.request import ImportHeader
from gorod.accruals.v1 import accruals_pb2
from gorod_runtime.errors import DomainError


def file_from_stream(request_stream) -> tuple[ImportHeader, Iterator[bytes]]:
    """The header (from the first message) and the file's bytes, chunk by chunk, as they arrive."""
    messages = iter(request_stream)
    first = next(messages, None)
    if first is None:
        raise DomainError("import.kind_required", "the stream is empty: the first message must name the kind and the file", "kind")
    header = ImportHeader(kind=first.kind.strip(), filename=first.filename.strip(), encoding=first.encoding.strip() or "auto",
                          operator=first.operator.strip()).checked()

    def chunks() -> Iterator[bytes]:
        if first.data:
            yield first.data
        for message in messages:
            if message.data:
                yield message.data

    return header, chunks()


def report_response(report: Report) -> accruals_pb2.ImportReport:
    response = accruals_pb2.ImportReport(import_id=report.import_id, status=report.status, rows=report.rows,
                                         changed=report.changed, problem_count=report.problem_count)
    for p in report.problems:
        response.problems.add(line=p.line, field=p.field, code=p.code, message=p.message)
    return response

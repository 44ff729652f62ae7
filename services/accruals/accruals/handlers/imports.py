"""Import use case for the gRPC entrypoint: spool the streamed file, run
``python -m accruals.importer`` beside the service (the kit's `gorod_runtime.imports.stream`)."""
from __future__ import annotations

from collections.abc import Iterable

from accruals.imports.request import ImportHeader
from gorod_runtime.imports import stream
from gorod_runtime.imports.problems import Report


def import_stream(settings, header: ImportHeader, chunks: Iterable[bytes]) -> Report:
    return stream.import_stream("accruals.importer", settings.db_url, header, chunks)

"""Import use case for the gRPC entrypoint: spool the streamed file, run
``python -m meters.importer`` beside the service (the kit's `gorod_runtime.imports.stream`:
psycopg 3 and the CPU-heavy checks stay out of the eventlet process)."""
from __future__ import annotations

from collections.abc import Iterable

from gorod_runtime.imports import stream
from gorod_runtime.imports.problems import Report
from meters.imports.request import ImportHeader


def import_stream(settings, header: ImportHeader, chunks: Iterable[bytes]) -> Report:
    return stream.import_stream("meters.importer", settings.db_url, header, chunks)

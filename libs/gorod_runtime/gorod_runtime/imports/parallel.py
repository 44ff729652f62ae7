"""Checking a large CSV file in several processes: the fast path of a good file.

Checking a row in Python costs ~8 µs; a million-row file alone would keep one core busy for
8 s while the database waits. Here the file is cut at line breaks into chunks of ~4 MB;
worker processes read, parse and check their chunks and turn them into COPY text, and the
importer's process writes that text into the staging COPY in file order. Memory stays
bounded: at most two chunks per worker are in flight.

The result must be exactly the serial reader's. A chunk starts at a record boundary when the
chunk before it ended cleanly (the csv reader is strict: a chunk ending inside a quoted
field fails), so by induction from the file's start every chunk does. Anything unusual -- any
problem in any chunk, a bare CR line break (line numbers would differ), per-file state that
disagrees between chunks (accruals: a house described differently) -- makes `stage` return None: the caller rolls the staging back and
reads the file serially, which makes the exact report. A rejected file is read twice; a good
one once, in parallel.
"""
from __future__ import annotations

import collections
import dataclasses
import io
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from gorod_runtime.imports import formats
from gorod_runtime.imports.problems import Problems
from gorod_runtime.imports.rows import Checker

if TYPE_CHECKING:
    from gorod_runtime.imports.apply import Importer

# Tunables (environment, read once): a chunk's size, and the smallest file checked in parallel
# (below it, starting the workers does not pay).
CHUNK_BYTES = int(os.environ.get("GOROD_IMPORT_CHUNK_BYTES", str(4 << 20)))
MIN_BYTES = int(os.environ.get("GOROD_IMPORT_PARALLEL_BYTES", str(16 << 20)))


def worker_count() -> int:
    """GOROD_IMPORT_WORKERS, else one per core (at most 4: the database needs a core too)."""
    configured = int(os.environ.get("GOROD_IMPORT_WORKERS", "0") or 0)
    return configured if configured > 0 else min(os.cpu_count() or 1, 4)


def suitable(fmt: str, size: int) -> bool:
    return fmt == "csv" and size >= MIN_BYTES and worker_count() > 1


def chunks(path: str, chunk_bytes: int | None = None) -> Iterator[tuple[int, int, int]]:
    """`(start, end, line breaks before start)` of consecutive chunks covering the file, each
    ending after a line break outside quotes (by the parity of the quotes before it; the
    workers' clean-end check makes that a hint, not a promise)."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    start = start_lines = 0          # the chunk being cut, and the line breaks before it
    position = newlines = quotes = 0  # the block being read: its offset, line breaks and quote parity before it
    with open(path, "rb") as raw:
        while block := raw.read(chunk_bytes):
            cut = block.rfind(b"\n") + 1
            if cut and (quotes + block.count(b'"', 0, cut)) % 2 == 0:
                yield start, position + cut, start_lines
                start, start_lines = position + cut, newlines + block.count(b"\n", 0, cut)
            quotes = (quotes + block.count(b'"')) % 2
            newlines += block.count(b"\n")
            position += len(block)
    if position > start:
        yield start, position, start_lines


@dataclasses.dataclass
class Chunk:
    exact: bool             # False: the serial reader must decide (a problem, an odd line break)
    text: str = ""          # COPY text of the staged rows
    rows: int = 0
    staged: int = 0
    state: object = None    # the kind's per-file state for this chunk


class _Sink(list):
    write = list.append


class _Worker:
    """One worker process's checker, kept from chunk to chunk (its caches stay warm)."""

    current: _Worker | None = None

    def __init__(self, path: str, encoding: str, importer: Importer, kind_name: str, header: list[str], refs: object):
        self.fd = os.open(path, os.O_RDONLY)     # once per worker; each chunk is one pread (closed with the process)
        self.encoding = encoding
        self.kind = importer.kinds[kind_name]
        self.merge = importer.merges[kind_name]
        self.checker = Checker(self.kind, header, refs, Problems())

    @classmethod
    def start(cls, *args) -> None:
        cls.current = cls(*args)

    def check(self, start: int, end: int, lines_before: int) -> Chunk:
        data = os.pread(self.fd, end - start, start)
        try:
            text = data.decode("utf-8-sig" if start == 0 and self.encoding == "utf-8" else self.encoding)
        except UnicodeDecodeError:
            return Chunk(exact=False)
        if "\r" in text and text.count("\r") != text.count("\r\n"):
            return Chunk(exact=False)
        problems = Problems()
        checker = self.checker
        checker.restart(problems)
        stream = io.StringIO(text, newline="")
        reader = formats.csv_reader(stream)
        if start == 0:
            formats.csv_header(reader, problems)
        sink = _Sink()
        writer = self.merge.writer(sink)
        check, write = checker.check, writer.write
        rows = staged = 0
        for line, values in formats.csv_rows(reader, stream, lines_before, problems):
            rows += 1
            row = check(line, values)
            if row is not None:
                write(row)
                staged += 1
            elif problems:
                return Chunk(exact=False)
        if problems:
            return Chunk(exact=False)
        writer.flush()
        return Chunk(exact=True, text="".join(sink), rows=rows, staged=staged, state=checker.state)


def _check(start: int, end: int, lines_before: int) -> Chunk:
    return _Worker.current.check(start, end, lines_before)


@dataclasses.dataclass
class Staged:
    rows: int
    staged: int
    state: object


def stage(copy, path: str, encoding: str, importer: Importer, kind_name: str, header: list[str], refs: object) -> Staged | None:
    """Check the file's rows in worker processes and write them into `copy` (an open COPY into
    the staging table); None if the serial reader must do it (see the module's doc)."""
    kind = importer.kinds[kind_name]
    workers = worker_count()
    # fork: the workers start at once with the importer's modules loaded (and inherit the
    # `Importer` and references as they are, unpickled); they never touch the parent's
    # database connection and leave with os._exit (no finalizers run).
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_Worker.start,
                               initargs=(path, encoding, importer, kind_name, header, refs))
    state = kind.new_state()
    rows = staged = 0
    try:
        pending: collections.deque = collections.deque()
        bounds = chunks(path)
        while True:
            while len(pending) < 2 * workers and (job := next(bounds, None)) is not None:
                pending.append(pool.submit(_check, *job))
            if not pending:
                break
            chunk: Chunk = pending.popleft().result()
            if not chunk.exact or not kind.merge_state(state, chunk.state):
                return None
            copy.write(chunk.text)
            rows += chunk.rows
            staged += chunk.staged
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return Staged(rows=rows, staged=staged, state=state)

"""Reading import files as a stream of rows: CSV (UTF-8 or cp1251), JSON and JSON Lines.

Nothing here holds more than one row (plus a read buffer): a file of any size is read in
constant memory. Every reader yields ``(line, values)`` where `values` is a list of strings
in the order of its header, and reports what it cannot read into the file's `Problems`.

- CSV: a header row, then one row per record; delimiter ``;``; ``"`` quotes a field (``""`` is
  a quote inside one). `line` is the physical line where the record starts. Blank rows (and
  rows of empty fields only) are skipped.
- JSON (``.json``): one array of objects, parsed incrementally (ijson); `line` is the record's
  number (1-based). The header is the kind's field names.
- JSON Lines (``.jsonl``, ``.ndjson``): one object per line; `line` is the physical line.
"""
from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import io
import json
import os
from collections.abc import Iterable, Iterator
from decimal import Decimal

import ijson

from gorod_runtime.imports.problems import Problems

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
ENCODINGS = ("auto", "utf-8", "cp1251")
BOM = codecs.BOM_UTF8
BLOCK = 1 << 20


def format_of(filename: str) -> str | None:
    """The format a file name's extension picks, or None."""
    return FORMATS.get(os.path.splitext(filename)[1].lower())


def normalise_encoding(name: str) -> str | None:
    """auto, utf-8 or cp1251 from the usual spellings (UTF8, windows-1251...), or None."""
    key = (name or "auto").strip().lower().replace("_", "-")
    aliases = {"auto": "auto", "utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8",
               "cp1251": "cp1251", "windows-1251": "cp1251", "win-1251": "cp1251", "win1251": "cp1251"}
    return aliases.get(key)


@dataclasses.dataclass(frozen=True)
class Scan:
    sha256: str
    size: int
    encoding: str       # utf-8 or cp1251, as read
    bom: bool
    guessed: bool = False   # `encoding` is read off the first block only (scan(validate=False))


def scan(path: str, fmt: str, encoding: str, problems: Problems, validate: bool = True) -> Scan:
    """One pass over the bytes: their SHA-256 and which encoding reads them.

    `auto` takes strict UTF-8 if the whole file is valid UTF-8, else cp1251. JSON files are
    UTF-8 (RFC 8259): other bytes are a problem. A byte that the chosen encoding cannot read
    is a problem naming its line.

    With validate=False only the first block is decoded (decoding is three quarters of the
    pass): the encoding is a guess (`Scan.guessed`) for a reader that decodes every byte
    itself and asks for the full scan when a byte does not fit (the parallel CSV check)."""
    if not validate:
        return _digest(path, fmt, encoding)
    digest = hashlib.sha256()
    size = 0
    newlines = 0
    want = "utf-8" if fmt != "csv" else encoding
    decoders = {"utf-8": codecs.getincrementaldecoder("utf-8")("strict"), "cp1251": codecs.getincrementaldecoder("cp1251")("strict")}
    trying = ["utf-8", "cp1251"] if want == "auto" else [want]
    failed: dict[str, int] = {}
    bom = False
    with open(path, "rb") as raw:
        while True:
            block = raw.read(BLOCK)
            final = not block
            if size == 0 and block.startswith(BOM):
                bom = True
            digest.update(block)
            for name in trying:
                if name in failed:
                    continue
                try:
                    decoders[name].decode(block, final)
                except UnicodeDecodeError as exc:
                    failed[name] = newlines + block.count(b"\n", 0, max(exc.start, 0)) + 1
            newlines += block.count(b"\n")
            size += len(block)
            if final:
                break
    chosen = next((name for name in trying if name not in failed), None)
    if chosen is None:
        line = failed[trying[-1]]
        if fmt != "csv":
            problems.add(line, "", "import.bad_encoding", "a JSON file must be UTF-8; this one has bytes that are not UTF-8")
        else:
            problems.add(line, "", "import.bad_encoding", f"the file cannot be read as {trying[-1]}: a byte on this line is not valid")
        chosen = trying[-1]
    return Scan(sha256=digest.hexdigest(), size=size, encoding=chosen, bom=bom)


def _digest(path: str, fmt: str, encoding: str) -> Scan:
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        first = raw.read(BLOCK)
        digest.update(first)
        size = len(first)
        while block := raw.read(BLOCK):
            digest.update(block)
            size += len(block)
    guess = "utf-8" if fmt != "csv" else encoding
    if guess == "auto":
        try:
            codecs.getincrementaldecoder("utf-8")("strict").decode(first, size == len(first))
            guess = "utf-8"
        except UnicodeDecodeError:
            guess = "cp1251"
    return Scan(sha256=digest.hexdigest(), size=size, encoding=guess, bom=first.startswith(BOM), guessed=True)


def read(path: str, fmt: str, encoding: str, columns: tuple[str, ...], problems: Problems,
         list_columns: Iterable[str] = ()) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the rows of a file (see the module's doc)."""
    if fmt == "csv":
        return _read_csv(path, encoding, problems)
    if fmt == "json":
        return list(columns), _read_json(path, columns, frozenset(list_columns), problems)
    return list(columns), _read_jsonl(path, columns, frozenset(list_columns), problems)


# -- CSV -------------------------------------------------------------------------------------

def csv_reader(text) -> Iterator[list[str]]:
    """The csv module's reader with the format's dialect over a text stream opened with newline=""."""
    return csv.reader(text, delimiter=";", quotechar='"', doublequote=True, strict=True)


def _read_csv(path: str, encoding: str, problems: Problems):
    raw = open(path, "rb")  # noqa: SIM115 (closed by the generator)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig" if encoding == "utf-8" else encoding, errors="strict", newline="")
    reader = csv_reader(text)
    header = csv_header(reader, problems)
    if not header:
        text.close()
        if not problems:
            problems.add(0, "", "import.empty_file", "the file has no header row")
        return [], iter(())
    return header, csv_rows(reader, text, 0, problems)


def csv_header(reader, problems: Problems) -> list[str]:
    """The first row that is not blank, as lower-case column names ([] if none)."""
    last = 0
    try:
        for record in reader:
            if any(value.strip() for value in record):
                return [name.strip().lstrip("\ufeff").lower() for name in record]
            last = reader.line_num
    except (csv.Error, UnicodeDecodeError) as exc:
        problems.add(last + 1, "", "import.bad_csv", f"cannot read the header: {exc}")
    return []


def csv_rows(reader, text, offset: int, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """`(line, values)` of the reader's next records; `text` starts after physical line `offset`
    of the file (closed at the end)."""
    last = offset + reader.line_num
    with text:
        while True:
            start = last + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                problems.add(start, "", "import.bad_csv", f"cannot read this line as CSV: {exc}")
                last = offset + reader.line_num
                continue
            except UnicodeDecodeError:
                problems.add(start, "", "import.bad_encoding", "the file cannot be read past this line in its encoding")
                return
            last = offset + reader.line_num
            for value in record:
                if value and not value.isspace():
                    yield start, record
                    break


# -- JSON ------------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    raise TypeError(type(value).__name__)


def _values(line: int, record, columns: tuple[str, ...], list_columns: frozenset[str], problems: Problems) -> list[str] | None:
    if not isinstance(record, dict):
        problems.add(line, "", "import.bad_record", f"expected an object, found {type(record).__name__}")
        return None
    good = True
    for key in record:
        if key not in columns:
            problems.add(line, str(key), "import.unknown_column", f"unknown field {str(key)[:64]!r}; expected: {', '.join(columns)}")
    values = []
    for name in columns:
        value = record.get(name)
        if isinstance(value, list) and name in list_columns and all(isinstance(v, str) for v in value):
            values.append(",".join(value))
            continue
        try:
            values.append(_text(value))
        except TypeError:
            problems.add(line, name, "import.bad_value", f"{name}: expected a string, number, true/false or null")
            good = False
    return values if good else None


def _open_json(path: str):
    raw = open(path, "rb")  # noqa: SIM115 (closed by the caller)
    if raw.read(3) != BOM:
        raw.seek(0)
    return raw


def _read_json(path: str, columns, list_columns, problems: Problems):
    with _open_json(path) as raw:
        start = raw.tell()
        head = raw.read(4096).lstrip()
        raw.seek(start)
        if not head.startswith(b"["):
            problems.add(0, "", "import.bad_json", "a .json file must hold one array of objects: [{...}, {...}]")
            return
        number = 0
        try:
            for record in ijson.items(raw, "item", use_float=False):
                number += 1
                values = _values(number, record, columns, list_columns, problems)
                if values is not None:
                    yield number, values
        except ijson.JSONError as exc:
            problems.add(number + 1, "", "import.bad_json", f"malformed JSON after record {number}: {str(exc)[:200]}")


def _read_jsonl(path: str, columns, list_columns, problems: Problems):
    with _open_json(path) as raw:
        for line, data in enumerate(raw, start=1):
            if not data.strip():
                continue
            try:
                record = json.loads(data, parse_float=Decimal)
            except ValueError as exc:
                problems.add(line, "", "import.bad_json", f"malformed JSON: {str(exc)[:200]}")
                continue
            values = _values(line, record, columns, list_columns, problems)
            if values is not None:
                yield line, values

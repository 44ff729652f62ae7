"""One row of an import file, checked against its kind (pure Python).

A service describes each kind of file it takes as a `Kind`: its fields (the column names of a
CSV header, the keys of a JSON object), each with a parser from `fields`, and `finish`, which
turns the parsed values into the tuple staged for the database, reporting every problem of the
row with its field and a stable code. `Checker` applies a kind to the rows of one file.

`refs` is whatever the service loads before reading the file for its rows to point at (e.g.
accruals' organisations and services); the kit passes it through untouched.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

from gorod_runtime.imports.fields import Invalid
from gorod_runtime.imports.problems import Problems


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    parse: Callable[[str], object]
    required: bool = False
    default: object = None          # staged when the value is empty (None = NULL)
    cache: bool = False             # few distinct values (dates, codes, areas): remember parsed ones


CACHE_SIZE = 20_000                 # per field and file: memory stays bounded whatever the file's size
_MISSING = object()


class RowProblems:
    """The problems of the row being checked, reported into the file's `Problems`."""

    __slots__ = ("line", "problems", "bad")

    def __init__(self, problems: Problems):
        self.problems = problems
        self.line = 0
        self.bad = False

    def add(self, field: str, code: str, message: str) -> None:
        self.bad = True
        self.problems.add(self.line, field, code, f"{field}: {message}" if field else message)


class Kind:
    """One kind of file: its fields and how a checked row becomes a staged tuple."""

    name: str = ""
    fields: tuple[Field, ...] = ()
    key: tuple[str, ...] = ()                # natural key within a file and in the database
    list_columns: tuple[str, ...] = ()       # fields a JSON file may give as an array of strings

    def __init__(self):
        self.field_names = tuple(fl.name for fl in self.fields)

    def new_state(self) -> object:
        """Per-file state, e.g. the houses seen so far."""
        return None

    def finish(self, v: list, row: RowProblems, refs: object, state) -> tuple | None:
        """Cross-field and reference checks on the parsed values; the staged tuple (after `line`)."""
        raise NotImplementedError

    def merge_state(self, state, later) -> bool:
        """Add the state of a later part of the file (checked on its own) to `state`; False if
        the two disagree (the file must be checked as a whole to report where)."""
        return True


class Checker:
    """Checks the rows of one file against one kind, given the file's header."""

    def __init__(self, kind: Kind, header: list[str], refs: object, problems: Problems):
        self.kind = kind
        self.refs = refs
        self.problems = problems
        self.state = kind.new_state()
        self.width = len(header)
        self.row = RowProblems(problems)
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            if name in positions:
                problems.add(1, name, "import.duplicate_column", f"column {name!r} appears twice")
            elif name not in kind.field_names:
                problems.add(1, name, "import.unknown_column",
                             f"unknown column {name!r}; {kind.name} files have: {', '.join(kind.field_names)}")
            positions.setdefault(name, index)
        for fl in kind.fields:
            if fl.required and fl.name not in positions:
                problems.add(1, fl.name, "import.missing_column", f"required column {fl.name!r} is missing")
        self.header_ok = not problems
        # An absent optional column reads the empty string appended after the row's values.
        self.pad = any(fl.name not in positions for fl in kind.fields)
        self.layout = [(fl.name, positions.get(fl.name, self.width), fl.parse, fl.required, fl.default,
                        {} if fl.cache else None) for fl in kind.fields]
        self.parse_row = self._compile()

    def _compile(self):
        """A function ``values -> [parsed value per field]`` with the loop over the fields
        unrolled: a value seen before in a cached field costs one dict lookup (this is the hot
        loop of a million-row file). The generated code holds only column positions."""
        names = {"M": _MISSING, "value": self._value}
        body = []
        for i, (_, index, _, _, _, cache) in enumerate(self.layout):
            if cache is None:
                body.append(f"    v{i} = value({i}, values[{index}])")
            else:
                names[f"c{i}"] = cache
                body += [f"    v{i} = c{i}.get(values[{index}], M)",
                         f"    if v{i} is M:",
                         f"        v{i} = value({i}, values[{index}])"]
        body.append(f"    return [{', '.join(f'v{i}' for i in range(len(self.layout)))}]")
        code = f"def parse_row(values, {', '.join(f'{n}={n}' for n in names)}):\n" + "\n".join(body)
        scope = dict(names)
        exec(compile(code, f"<import checker {self.kind.name}>", "exec"), scope)  # noqa: S102 (generated from positions only)
        return scope["parse_row"]

    def _value(self, i: int, raw: str):
        """One value the cache does not know: strip, default or required, parse, remember."""
        name, _, parse, required, default, cache = self.layout[i]
        value = raw.strip()
        if not value:
            if required:
                self.row.add(name, "import.required", "a value is required")
                return None
            result = default
        else:
            try:
                result = parse(value)
            except Invalid as exc:
                self.row.add(name, exc.code, exc.message)
                return None
        if cache is not None and len(cache) < CACHE_SIZE:
            cache[raw] = result
        return result

    def restart(self, problems: Problems) -> None:
        """Check another part of a file (`parallel`): new problems and per-file state, the
        parsed-value caches kept."""
        self.problems = problems
        self.row.problems = problems
        self.state = self.kind.new_state()

    def check(self, line: int, values: list[str]) -> tuple | None:
        """The staged tuple `(line, ...)` of a good row, or None after reporting its problems."""
        row = self.row
        row.line = line
        row.bad = False
        if len(values) != self.width:
            row.add("", "import.bad_row", f"expected {self.width} fields separated by ';', found {len(values)}")
            return None
        if self.pad:
            values = [*values, ""]
        parsed = self.parse_row(values)
        if row.bad:
            return None
        staged = self.kind.finish(parsed, row, self.refs, self.state)
        if row.bad or staged is None:
            return None
        return (line, *staged)

"""Problems with a scenario: a JSON path, a stable code and a message."""
from __future__ import annotations

import dataclasses
import re

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Problem:
    path: str           # JSONPath of the offending value, e.g. $.periods[1].meters[0].readings[2].value
    code: str           # stable, e.g. scenario.bad_decimal
    message: str

    def as_dict(self) -> dict:
        return {"path": self.path, "code": self.code, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path}: [{self.code}] {self.message}"


class ScenarioInvalid(ValueError):
    """The scenario cannot be calculated; `problems` says where and why (sorted, deduplicated)."""

    def __init__(self, problems):
        unique = sorted(set(problems), key=_order)
        super().__init__("; ".join(str(p) for p in unique[:5]) + (f" (and {len(unique) - 5} more)" if len(unique) > 5 else ""))
        self.problems: tuple[Problem, ...] = tuple(unique)


def _order(problem: Problem):
    # Numeric indexes sort as numbers: $.periods[2] before $.periods[10].
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", problem.path)], problem.code, problem.message


def path_of(parts) -> str:
    """A JSONPath from keys and indexes: ("periods", 1, "value") → $.periods[1].value."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += "." + part
        else:
            text += "[" + repr(str(part)) + "]"
    return text


def child(path: str, *parts) -> str:
    """`path` extended by keys and indexes."""
    suffix = path_of(parts)[1:]
    return path + suffix

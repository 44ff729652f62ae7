"""Problems found in an import file, and the report of an import."""
from __future__ import annotations

import dataclasses

MAX_PROBLEMS = 1000  # kept in a report; all of them are counted

APPLIED = "applied"
REJECTED = "rejected"
UNCHANGED = "unchanged"


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    line: int       # 1-based line (CSV, JSON Lines) or record number (JSON); 0 = the file as a whole
    field: str      # the column, "" when the problem is not about one field
    code: str       # stable, e.g. "import.bad_inn"
    message: str    # English; the API layer localises by code

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class Problems:
    """Keeps the first MAX_PROBLEMS problems in the order they are added, counts all of them."""

    def __init__(self, limit: int = MAX_PROBLEMS):
        self.limit = limit
        self.kept: list[Problem] = []
        self.count = 0

    def add(self, line: int, field: str, code: str, message: str) -> None:
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append(Problem(line, field, code, message))

    def extend(self, problems: list[Problem], total: int | None = None) -> None:
        """Add problems found elsewhere (e.g. the first ones of an SQL check, by line), `total` of
        which exist in all. Each batch keeps its first `limit`, so `first()` stays exact."""
        self.kept.extend(problems[:self.limit])
        self.count += len(problems) if total is None else total

    def __bool__(self) -> bool:
        return self.count > 0

    def first(self) -> list[Problem]:
        """The first problems in line order."""
        return sorted(self.kept)[:self.limit]


@dataclasses.dataclass
class Report:
    import_id: str
    status: str                     # applied, rejected, unchanged
    rows: int
    changed: int                    # rows that created or changed something
    problems: list[Problem]
    problem_count: int
    kind: str = ""
    filename: str = ""

    def as_dict(self) -> dict:
        return {
            "import_id": self.import_id, "status": self.status, "kind": self.kind, "filename": self.filename,
            "rows": self.rows, "changed": self.changed, "problem_count": self.problem_count,
            "problems": [p.as_dict() for p in self.problems],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        return cls(
            import_id=str(data["import_id"]), status=data["status"], rows=int(data["rows"]), changed=int(data["changed"]),
            problems=[Problem(int(p["line"]), p["field"], p["code"], p["message"]) for p in data.get("problems", [])],
            problem_count=int(data["problem_count"]), kind=data.get("kind", ""), filename=data.get("filename", ""),
        )

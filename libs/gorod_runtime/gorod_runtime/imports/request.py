"""What a caller asks to import: the header of an import (kind, file name, encoding, operator).

A service subclasses `ImportHeader` naming its kinds (``kinds = tuple(KINDS)``)."""
from __future__ import annotations

import dataclasses
import os
from typing import ClassVar

from gorod_runtime.errors import DomainError
from gorod_runtime.imports import formats

MAX_FILENAME = 255
MAX_OPERATOR = 200


@dataclasses.dataclass(frozen=True)
class ImportHeader:
    kind: str
    filename: str
    encoding: str = "auto"
    operator: str = ""

    kinds: ClassVar[tuple[str, ...]] = ()       # the service's kinds of file

    @property
    def format(self) -> str | None:
        return formats.format_of(self.filename)

    def checked(self) -> ImportHeader:
        """The header with its encoding normalised; DomainError (a stable code) if it is bad."""
        if not self.kind:
            raise DomainError("import.kind_required", "the first message must name the kind of file", "kind")
        if self.kind not in self.kinds:
            raise DomainError("import.bad_kind", f"unknown kind {self.kind[:40]!r}; one of: {', '.join(self.kinds)}", "kind")
        name = os.path.basename(self.filename.replace("\\", "/"))
        if not name or len(name) > MAX_FILENAME:
            raise DomainError("import.filename_required", "the first message must give the file's name (.csv, .json or .jsonl)",
                              "filename")
        if formats.format_of(name) is None:
            raise DomainError("import.bad_format", "the file name must end in .csv, .json or .jsonl", "filename")
        encoding = formats.normalise_encoding(self.encoding)
        if encoding is None:
            raise DomainError("import.bad_encoding", "encoding must be auto, utf-8 or cp1251", "encoding")
        if len(self.operator) > MAX_OPERATOR:
            raise DomainError("import.bad_operator", f"operator: at most {MAX_OPERATOR} characters", "operator")
        return dataclasses.replace(self, filename=name, encoding=encoding)

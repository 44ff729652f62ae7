"""What a caller asks to import into accruals: the kit's header, with accruals' kinds."""
from __future__ import annotations

from accruals.imports.kinds import KINDS
from gorod_runtime.imports import request


class ImportHeader(request.ImportHeader):
    kinds = tuple(KINDS)

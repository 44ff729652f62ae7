"""What a caller asks to import into meters: the kit's header, with the meters kinds."""
from __future__ import annotations

from gorod_runtime.imports import request
from meters.imports.kinds import KINDS


class ImportHeader(request.ImportHeader):
    kinds = tuple(KINDS)

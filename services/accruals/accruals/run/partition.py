"""Which partition an account belongs to: stable, the same in Python and in SQL.

    partition_of(number, parts) = int(md5(number)[:8], 16) % parts + 1        (1..parts)

The database has the same function, `account_partition(number, parts)` (migration 0004), so a
run can select its accounts in SQL and a test can check the same map in Python. For any
`parts`, every account is in exactly one partition. A run of partition I/N with W worker
processes gives worker w (0-based) the slot I + N·w of N·W: the slots of one partition are
exactly the accounts of that partition (x mod N·W ≡ I − 1 (mod N) ⇔ x mod N = I − 1), so
the workers split it without overlap.
"""
from __future__ import annotations

import hashlib
import re

MAX_PARTS = 1000
_PARTITION = re.compile(r"^\s*(\d{1,4})\s*/\s*(\d{1,4})\s*$")


def partition_of(number: str, parts: int) -> int:
    """The partition (1..parts) of account `number`."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    return int.from_bytes(hashlib.md5(number.encode(), usedforsecurity=False).digest()[:4], "big") % parts + 1


def parse(text: str) -> tuple[int, int]:
    """"I/N" -> (I, N), 1 <= I <= N <= MAX_PARTS."""
    match = _PARTITION.match(text or "")
    if not match:
        raise ValueError(f"a partition is I/N, e.g. 1/4, not {text!r}")
    part, parts = int(match.group(1)), int(match.group(2))
    if not 1 <= part <= parts <= MAX_PARTS:
        raise ValueError(f"need 1 <= I <= N <= {MAX_PARTS}, not {part}/{parts}")
    return part, parts


def worker_slot(part: int, parts: int, worker: int, workers: int) -> tuple[int, int]:
    """(slot, slots): worker `worker` (0-based) of `workers` inside partition part/parts."""
    if not 0 <= worker < workers:
        raise ValueError("worker out of range")
    return part + parts * worker, parts * workers


def contains(outer: tuple[int, int], inner: tuple[int, int]) -> bool:
    """Whether every account of partition `inner` (I/N) is in partition `outer`."""
    o_part, o_parts = outer
    i_part, i_parts = inner
    return i_parts % o_parts == 0 and (i_part - 1) % o_parts == o_part - 1


def label(part: int, parts: int) -> str:
    return f"{part}/{parts}"

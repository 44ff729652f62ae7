"""Explanations, stored compactly: a shared *shape* and the line's *facts*.

An explanation (charge engine or penalties) is a formula, named inputs, labelled steps and
notes. Across ~9 million lines a month almost all of the text is the same: the formula, the
input names, the step labels and the notes come from a few hundred distinct combinations;
only the values differ. So a line stores

    shape  a 63-bit id of {"method", "formula", "inputs": [names], "steps": [labels], "notes"}
           (a hash of that body: any process names a shape without asking anyone; the body
           is stored once in `explanation_shapes`)
    facts  the input values, then the step values, joined by U+001F

and `decode(body, facts)` gives back exactly the explanation the engine made. Pure Python.
"""
from __future__ import annotations

import hashlib
import json

SEP = "\x1f"
_REPLACEMENT = "\u241f"        # SYMBOL FOR UNIT SEPARATOR: a value never contains SEP


def shape_id(body: dict) -> int:
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") & 0x7FFF_FFFF_FFFF_FFFF


class Shapes:
    """The shapes one process has seen: key -> id, and the bodies not yet stored."""

    __slots__ = ("ids", "new")

    def __init__(self):
        self.ids: dict[tuple, int] = {}
        self.new: dict[int, dict] = {}

    def encode(self, formula: str, inputs, steps, notes, method: str = "") -> tuple[int, str]:
        """(shape id, facts) of one explanation; `inputs` a mapping, `steps` (label, value) pairs."""
        key = (formula, notes, method, len(inputs), *inputs, *[step[0] for step in steps])
        sid = self.ids.get(key)
        if sid is None:
            body = {"method": method, "formula": formula, "inputs": list(inputs), "steps": [step[0] for step in steps],
                    "notes": list(notes)}
            sid = self.ids[key] = shape_id(body)
            self.new[sid] = body
        values = [*inputs.values(), *[step[1] for step in steps]]
        facts = SEP.join(values)
        if facts.count(SEP) != len(values) - 1 and values:
            facts = SEP.join(value.replace(SEP, _REPLACEMENT) for value in values)
        return sid, facts

    def take_new(self) -> dict[int, dict]:
        new, self.new = self.new, {}
        return new


def decode(body: dict, facts: str | None) -> dict:
    """The explanation as a dict: method, formula, inputs {name: value}, steps [[label, value]], notes."""
    names = body.get("inputs", [])
    labels = body.get("steps", [])
    values = facts.split(SEP) if facts else []
    if len(values) < len(names) + len(labels):
        values += [""] * (len(names) + len(labels) - len(values))
    return {
        "method": body.get("method", ""),
        "formula": body.get("formula", ""),
        "inputs": dict(zip(names, values[:len(names)], strict=True)),
        "steps": [[label, value] for label, value in zip(labels, values[len(names):len(names) + len(labels)], strict=True)],
        "notes": list(body.get("notes", [])),
    }

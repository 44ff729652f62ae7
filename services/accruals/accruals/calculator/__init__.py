"""The scenario calculator: one self-contained JSON document describing an account for one or
more periods → the charge lines with explanations, benefits, subsidy, penalties and totals.

    from accruals.calculator import calculate, calculate_text, ScenarioInvalid
    result = calculate(document)              # dict, from a decoded scenario
    text = calculate_text(raw_json, pretty=True)

Pure: no database, transport or logging. The format is `scenario.schema.json` beside this file
(docs/scenario.md explains it); the CLI is `python -m accruals.calculator SCENARIO.json`.
"""
from __future__ import annotations

from .problems import Problem, ScenarioInvalid
from .result import RESULT_FORMAT, dumps, render
from .run import run
from .scenario import FORMAT, MAX_DOCUMENT_BYTES, SCHEMA_FILE, decode, parse, parse_text, schema

__all__ = [
    "FORMAT", "MAX_DOCUMENT_BYTES", "RESULT_FORMAT", "SCHEMA_FILE", "Problem", "ScenarioInvalid", "calculate", "calculate_text",
    "decode", "dumps", "parse", "parse_text", "render", "run", "schema",
]


def calculate(document) -> dict:
    """The result document of a decoded scenario (decimals as strings; see `decode`)."""
    return render(run(parse(document)))


def calculate_text(text: str | bytes, pretty: bool = False) -> str:
    """The result JSON of a scenario's JSON text; raises ScenarioInvalid with every problem found."""
    return dumps(render(run(parse_text(text))), pretty)

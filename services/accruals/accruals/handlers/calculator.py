"""The scenario calculator as a use case: a scenario's JSON text → the result's JSON text.

No storage: the scenario is self-contained. The work is CPU-light (one account, at most 120
periods, a document of at most 1 MB: a few milliseconds for a usual scenario, about 3 s for the
largest the schema allows), so it runs inside the gRPC worker. A result above 4,000,000 bytes (the
largest scenarios render explanations for thousands of lines) is refused: gRPC clients accept
4 MiB messages by default; such a scenario belongs to the CLI.
"""
from __future__ import annotations

from accruals import calculator
from gorod_runtime.errors import DomainError

MAX_SCENARIO_BYTES = calculator.MAX_DOCUMENT_BYTES
MAX_RESULT_BYTES = 4_000_000
LISTED_PROBLEMS = 5


def calculate(scenario_json: str) -> str:
    """The result JSON; an invalid scenario is DomainError("scenario.invalid") naming the first problems."""
    if len(scenario_json) > MAX_SCENARIO_BYTES or len(scenario_json.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise DomainError("scenario.too_large", f"the scenario is larger than {MAX_SCENARIO_BYTES} bytes", "scenario_json")
    try:
        result = calculator.calculate_text(scenario_json)
    except calculator.ScenarioInvalid as exc:
        problems = exc.problems
        listed = "; ".join(str(p) for p in problems[:LISTED_PROBLEMS])
        more = f" (and {len(problems) - LISTED_PROBLEMS} more)" if len(problems) > LISTED_PROBLEMS else ""
        noun = "problem" if len(problems) == 1 else "problems"
        raise DomainError("scenario.invalid", f"the scenario is invalid, {len(problems)} {noun}: {listed}{more}",
                          problems[0].path) from None
    if len(result) > MAX_RESULT_BYTES or len(result.encode("utf-8")) > MAX_RESULT_BYTES:
        raise DomainError("scenario.result_too_large",
                          f"the result is larger than {MAX_RESULT_BYTES} bytes: calculate fewer periods or services, "
                          "or use python -m accruals.calculator", "scenario_json")
    return result

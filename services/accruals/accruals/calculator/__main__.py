"""python -m accruals.calculator SCENARIO.json [--pretty]

Prints the result JSON of the scenario (docs/scenario.md). Exit codes: 0 computed; 1 the
scenario is invalid (the problems go to stderr, one per line: path, [code], message); 2 a
usage error (bad arguments, an unreadable file). SCENARIO may be - for standard input.
"""
from __future__ import annotations

import argparse
import sys

from . import MAX_DOCUMENT_BYTES, ScenarioInvalid, calculate_text

PROG = "accruals.calculator"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        print(f"{PROG}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog=f"python -m {PROG}", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", metavar="SCENARIO.json", help="the scenario document (- for standard input)")
    parser.add_argument("--pretty", action="store_true", help="indent the result")
    args = parser.parse_args(argv)
    try:
        if args.scenario == "-":
            data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
        else:
            with open(args.scenario, "rb") as handle:
                data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        print(f"{PROG}: cannot read {args.scenario}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        text = calculate_text(data, pretty=args.pretty)
    except ScenarioInvalid as exc:
        print(f"{PROG}: the scenario is invalid ({len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}):",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"{problem.path}: [{problem.code}] {problem.message}", file=sys.stderr)
        return 1
    sys.stdout.write(text if args.pretty else text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``efklab test CASES.yaml...``: declarative pipeline tests, every case run, every failure shown with a diff."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from efklab.cli.common import add_json_option

DESCRIPTION = """\
Run declarative test cases for fluentd multiline grouping: each case names a concat rule (a
config file and filter, a config text, or the rule's parameters), input lines (inline or a
container log file) and the expected result: the grouped events (log text, and optionally time,
route, tag, record fields, source lines), only their count, no output, or the error fluentd
gives for the rule.  Lines are grouped exactly as fluent-plugin-concat does, the flush timer
emulated from event time.  Unknown keys are errors.  Every case runs; all failures are
reported together, each with its case name and a diff of expected vs actual events."""

EPILOG = """\
Exit codes: 0 every case passed; 1 a case failed; 2 a case file is malformed (unknown key,
missing part: named with file and line) or cannot be read.
case file format (see data/samples/pipeline-tests.yaml):
  defaults: {config_file: fluentd.yaml, filter: containers}
  cases:
    - name: a stack trace stays one event
      input: ["(E) 11:09:04[301] failed\\n", "\\tat a.B.c(B.java:1)\\n"]
      expected: [{text: "(E) 11:09:04[301] failed\\n\\tat a.B.c(B.java:1)\\n", route: timeout}]
examples:
  efklab test data/samples/pipeline-tests.yaml
  efklab test tests/*.yaml -k trace --json"""


def register(sub: argparse._SubParsersAction, summary: str) -> None:  # type: ignore[type-arg]
    """Add ``efklab test`` to the command parsers (module ``casetest``; the command is ``test``)."""
    p = sub.add_parser("test", help=summary,
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="CASES.yaml", help="case files (YAML)")
    p.add_argument("-k", dest="select", metavar="TEXT", help="run only the cases whose name contains TEXT")
    p.add_argument("--show-actual", action="store_true", help="print the actual events of failing cases as JSON lines")
    add_json_option(p)
    p.set_defaults(func=run_tests)


def run_tests(args: argparse.Namespace) -> int:
    """Load every file (all load errors reported), run every case, report; exit 1 on any failure."""
    from efklab.multiline.cases import format_failures, load_cases, run_cases
    from efklab.errors import EfklabError

    cases, problems = [], []
    for path in args.files:
        try:
            cases.extend(load_cases(path))
        except EfklabError as exc:
            problems.append(str(exc))
    if problems:
        for problem in problems:
            print(f"efklab test: {problem}", file=sys.stderr)
        return 2
    if args.select:
        cases = [c for c in cases if args.select in c.name]
    results = run_cases(cases)
    failed = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps({"passed": len(results) - len(failed), "failed": len(failed), "cases": [_case_json(r) for r in results]},
                         indent=2, ensure_ascii=False, default=str))
        return 1 if failed else 0
    for r in results:
        print(f"{'PASS' if r.ok else 'FAIL'}  {r.case.where()}  {r.case.name}")
    if failed:
        print("\n" + format_failures(failed))
        if args.show_actual:
            for r in failed:
                print(f"\nactual events of {r.case.name!r}:")
                for event in r.actual:
                    print(json.dumps(event, ensure_ascii=False))
    files = len(args.files)
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed ({len(results)} cases in {files} file{'s' if files != 1 else ''})")
    return 1 if failed else 0


def _case_json(result: Any) -> dict[str, Any]:
    case = result.case
    return {"file": case.source, "line": case.line, "name": case.name, "ok": result.ok,
            "failures": list(result.failures), "actual": list(result.actual)}

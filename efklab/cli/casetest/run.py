"""``efklab test CASES.yaml...``: declarative pipeline tests, every case run, every failure shown with a diff.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from efklab.jobs.casetest import run_case_files
from efklab.multiline.cases import CaseResult, format_failures


def run_tests(args: argparse.Namespace) -> int:
    """Load every file (all load errors reported), run every case, report; exit 1 on any failure."""
    run = run_case_files(args.files, select=args.select)
    if run.problems:
        for problem in run.problems:
            print(f"efklab test: {problem}", file=sys.stderr)
        return 2
    results, failed = run.results, run.failed
    if args.json:
        print(json.dumps({"passed": len(results) - len(failed), "failed": len(failed),
                          "cases": [_case_json(r) for r in results]}, indent=2, ensure_ascii=False, default=str))
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
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed "
          f"({len(results)} cases in {files} file{'s' if files != 1 else ''})")
    return 1 if failed else 0


def _case_json(result: CaseResult) -> dict[str, Any]:
    case = result.case
    return {"file": case.source, "line": case.line, "name": case.name, "ok": result.ok,
            "failures": list(result.failures), "actual": list(result.actual)}

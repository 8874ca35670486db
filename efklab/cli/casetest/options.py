"""Options of ``efklab test CASES.yaml...``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    """Add ``efklab test`` to the command parsers (module ``casetest``; the command is ``test``)."""
    p = sub.add_parser("test", help=summary,
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="CASES.yaml", help="case files (YAML)")
    p.add_argument("-k", dest="select", metavar="TEXT", help="run only the cases whose name contains TEXT")
    p.add_argument("--show-actual", action="store_true", help="print the actual events of failing cases as JSON lines")
    add_json_option(p)
    p.set_defaults(handler="run_tests")

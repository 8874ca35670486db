"""``efklab compat``: replay into a node of each version, compare, print one table."""
from __future__ import annotations

import argparse
import json
import sys

from efklab.cli.compat.text import compat_table
from efklab.jobs.compat import run_compat


def _say(text: str) -> None:
    """Progress (starting nodes, replays) goes to stderr, never into the report."""
    print(f"efklab compat: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    report = run_compat(args.payloads, current=args.current, target=args.target, mode=args.mode,
                        template=args.template, policy=args.policy, provenance=args.provenance, prefix=args.prefix,
                        current_url=args.from_url, target_url=args.to_url, keep=args.keep, say=_say)
    print(json.dumps(report.to_json(), indent=2) if args.json else compat_table(report))
    return report.exit_code

"""``efklab ordering``: how far the order Discover shows is from the order the lines were written.
"""
from __future__ import annotations

import argparse
import json
import sys

from efklab.cli.ordering.text import render_text, verdict
from efklab.jobs.ordering import check_order


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Measure, explain, recommend; exit 1 when the checked view is out of order beyond the threshold."""
    result = check_order(
        index=args.index, provenance=args.provenance, logs=args.logs, label=args.label,
        candidate_index=args.candidate_index, candidate_provenance=args.candidate_provenance,
        candidate_label=args.candidate_label, tiebreaker=args.tiebreaker, discover_tiebreaker=args.discover_tiebreaker,
        order=args.order, max_out_of_place=args.max_out_of_place, export_dashboards=args.export_dashboards,
        streams=args.streams, per_stream=args.per_stream, opensearch_url=args.opensearch_url,
        aws_region=args.aws_region, ca_certs=args.ca_certs,
        no_verify_tls=args.no_verify_tls, say=_say,
    )
    if args.json:
        print(json.dumps(result.summary(), indent=2, default=str))
    else:
        sys.stdout.write(render_text(result))
        print(verdict(result), file=sys.stderr if result.passed else sys.stdout)
    return 0 if result.passed else 1

"""Options of ``efklab ordering``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import add_connection_options, add_json_option

DESCRIPTION = """\
Query the indices the way OpenSearch Dashboards Discover does (sorted by @timestamp, newest
first, no tiebreaker) and with candidate tiebreakers, and compare each stream with the truth:
the order of lines in its container log file (via --provenance, the event id -> file:line file
the pipeline writes), or else the CloudWatch event id order.  Reports inversions, the Kendall tau
distance, the share of lines shown out of place and groups of identical timestamps; explains the
causes it finds and recommends the fix the numbers support.  Exit 0 when the checked view is
within --max-out-of-place, 1 when it is not, 2 on bad input.
"""


EPILOG = """\
examples:
  efklab ordering --index 'mydata-*' --provenance replay/provenance.jsonl
  efklab ordering --index 'aws-*' --provenance aws.jsonl \\
                  --candidate-index 'seed-*' --candidate-provenance seed.jsonl
  efklab ordering --index 'mydata-*' --export-dashboards ordering.ndjson   # then import it in Dashboards
"""


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share between 0 and 1, not {text}")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    """Add ``efklab ordering`` to the command parsers."""
    p = sub.add_parser("ordering", help=summary, description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", default="mydata-*", metavar="PATTERN", help="indices to check (default: mydata-*)")
    p.add_argument("--provenance", metavar="FILE",
                   help="event id -> source lines (JSONL, .gz ok); default: event id order is the truth")
    p.add_argument("--logs", metavar="DIR",
                   help="folder the provenance's file names are relative to, to read the lines' nanosecond times "
                   "(default: the provenance file's folder; skipped when the logs are not there)")
    p.add_argument("--label", default="as indexed",
                   help="name of this grouping in the output (e.g. 'aws-sample regex')")
    p.add_argument("--candidate-index", metavar="PATTERN",
                   help="the same lines replayed with a candidate regex, to measure the cure")
    p.add_argument("--candidate-provenance", metavar="FILE", help="provenance of the candidate replay")
    p.add_argument("--candidate-label", default="candidate regex", help="name of the candidate grouping")
    p.add_argument(
        "--tiebreaker", action="append", metavar="FIELD[,FIELD]",
        help="a tiebreaker to measure (repeatable; default: @id and @log_stream,@id)",
    )
    p.add_argument("--discover-tiebreaker", default="", metavar="FIELD[,FIELD]",
                   help="the tiebreaker your Dashboards view already uses; the exit code checks that view "
                   "(default: none)")
    p.add_argument("--order", choices=("desc", "asc"), default="desc",
                   help="sort direction of the view (default: desc, newest first)")
    p.add_argument("--max-out-of-place", type=_share, default=0.0, metavar="SHARE",
                   help="largest share of lines out of place that still passes, 0..1 (default: 0)")
    p.add_argument("--export-dashboards", metavar="FILE",
                   help="write OpenSearch Dashboards saved objects (index pattern + saved search with the "
                   "recommended sort)")
    p.add_argument("--streams", type=int, default=5, metavar="N",
                   help="show the N most disordered streams (default: 5)")
    p.add_argument("--per-stream", type=int, metavar="N",
                   help="measure only the newest N documents of each stream (what Discover shows first), for "
                   "indices too large to read whole; the output says it is a sample, and of how much "
                   "(default: every document)")
    add_connection_options(p)
    add_json_option(p)
    p.set_defaults(handler="run")

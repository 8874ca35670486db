"""Options of ``efklab transform``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import add_transform_options

DESCRIPTION = """\
Turn CloudWatch Logs subscription payloads into the OpenSearch _bulk body the Lambda would post,
written to stdout in input order.

INPUT is a file, a directory (its files, sorted) or - (stdin, the default), plain or gzip
(detected by its magic bytes). Each line holds one record: a Lambda event {"awslogs": {"data":
"<base64 gzip>"}}, a decoded payload {"messageType": ..., "logEvents": [...]}, or a bare base64
gzip string. A file whose first line is a lone { or [ is read as pretty-printed JSON (one
document after another, or an array).

--mode seed reproduces the seed Lambda byte for byte: its mydata-<namespace>-<container>-YYYY.MM.DD
index names (with 'undefined' for short log groups), the _type field OpenSearch 2.x refuses, and
every JavaScript quirk of its buildSource. --mode opensearch (the default) writes the same documents
as actions OpenSearch 2.x accepts, with names from --index-strategy checked against OpenSearch's rules.

Nothing is dropped silently: every log event yields one action or one reject. A record that cannot
be decoded is reported as FILE:LINE: reason and skipped; an event that cannot become an action (the
seed would have thrown, its index name is invalid, it breaks the payload schema) is reported as
FILE:LINE:logEvents[i]: reason. CONTROL_MESSAGE payloads are counted and yield nothing.
"""


EPILOG = """\
examples:
  efklab transform --mode seed data/samples/payloads/ > bulk.ndjson
  efklab transform --index-strategy '{prefix}-{namespace}-{container}-{date:%Y.%m.%d}' --tz Asia/Seoul payloads.jsonl
  zcat captured.jsonl.gz | efklab transform --rejects rejects.jsonl -

template fields: prefix, namespace, container (segments 5 and 6 of the lower-cased log group),
log_group and log_stream (lower-cased, forbidden characters -> '-'), log_group_name (last segment
as is), date (strftime format after ':', default %Y.%m.%d, in --tz).

exit status: 0 all events became actions; 2 something was rejected, or bad input/usage.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    p = sub.add_parser(
        "transform",
        help=summary,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_transform_options(p)
    p.add_argument(
        "--rejects",
        metavar="FILE",
        help="also write every reject as JSON lines (stage, reason, source, position, item)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary line on stderr, not each reject")
    p.add_argument(
        "inputs", nargs="*", metavar="INPUT", help="payload files or directories, plain or gzip; - for stdin (default)"
    )
    p.set_defaults(handler="run")

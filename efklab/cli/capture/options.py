"""Options of ``efklab capture``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

DESCRIPTION = """\
Pull events from CloudWatch Logs (filter_log_events, paginated, throttling retried with
backoff) and write them as the subscription payloads CloudWatch would deliver to the Lambda:
one payload per log-stream batch (the events of one PutLogEvents call), with owner,
logGroup, logStream, subscriptionFilters and logEvents[id, timestamp, message], within
PutLogEvents' limits (10,000 events, 1 MiB, 24 h).  One JSON payload per line in OUT (gzip
when OUT ends in .gz), or Lambda events {"awslogs":{"data":...}} with --lambda-events;
`efklab transform` and `efklab replay` read both.

Beside OUT it writes OUT.filters.json: the log groups' subscription filters and the
destination Lambda's configuration (environment values redacted), so a report can say which
filter pattern produced the payloads.  OUT.checkpoint.json records progress after every
page; --resume continues an interrupted capture without loss or duplicates.

By default each log group's payloads are those its subscription filter would deliver: its
name in subscriptionFilters and its filter pattern (unless --filter-pattern).  Credentials
come from the standard boto3 chain (environment, shared files, --profile, roles), never
from options, and are never printed."""


EPILOG = """\
times: ISO 8601 (2024-05-06T10:00:00Z; no zone = UTC), epoch seconds or ms, 'now', or an
age such as 30m, 6h, 2d.  Exit codes: 0 ok, 2 bad input, AWS error or events that could not
be captured (listed on stderr).
examples:
  efklab capture --log-group /aws/containerinsights/prod/application/shop/api --start 2h --out api.jsonl.gz
  efklab capture --log-group-prefix /aws/containerinsights/prod/application/ --start 2024-05-06 \\
      --end 2024-05-07 --profile prod --region ap-northeast-2 --out day.jsonl.gz --resume"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    """Add ``efklab capture`` to the command parser."""
    p = sub.add_parser(
        "capture",
        help=summary,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--log-group", action="append", metavar="NAME", help="a log group to capture (repeatable)")
    which.add_argument("--log-group-prefix", metavar="P", help="capture every log group whose name starts with P")
    p.add_argument("--start", metavar="T", help="first event time (inclusive; default: the oldest event)")
    p.add_argument("--end", metavar="T", help="last event time (inclusive; default: now)")
    p.add_argument(
        "--filter-pattern", metavar="P", help="CloudWatch filter pattern (default: the subscription filter's)"
    )
    p.add_argument(
        "--subscription-filter",
        metavar="NAME",
        help="capture as delivered to this subscription filter (needed when a log group has two)",
    )
    p.add_argument(
        "--out", required=True, metavar="FILE", help="payload file to write (JSONL; gzip when it ends in .gz)"
    )
    p.add_argument(
        "--lambda-events",
        action="store_true",
        help='write Lambda events {"awslogs":{"data":...}} instead of payload JSON',
    )
    p.add_argument("--profile", metavar="P", help="AWS shared-config profile (default: the standard chain)")
    p.add_argument("--region", metavar="R", help="AWS region (default: from the environment or the profile)")
    p.add_argument("--resume", action="store_true", help="continue from OUT.checkpoint.json of an interrupted capture")
    p.add_argument(
        "--settle",
        default="5m",
        metavar="D",
        help="a put counts as complete once the listing is D past its ingestion time (default 5m; 2h is "
        "PutLogEvents' exact bound, at the cost of memory)",
    )
    p.add_argument(
        "--page-size",
        type=int,
        metavar="N",
        help="events per filter_log_events call (1-10000; default: the API's 10000)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(handler="run")

"""Options shared by several commands, so the same name means the same thing everywhere.

Notebook parameters use these same names (with ``-`` -> ``_``), so a notebook and a CLI
check are two front-ends over one function.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable

from efklab.model import UNREADABLE_STAGES, Reject

OPENSEARCH_URL_ENV = "EFKLAB_OPENSEARCH_URL"
OPENSEARCH_USER_ENV = "EFKLAB_OPENSEARCH_USER"
OPENSEARCH_PASSWORD_ENV = "EFKLAB_OPENSEARCH_PASSWORD"


def add_transform_options(parser: argparse.ArgumentParser) -> None:
    """--mode, --index-strategy, --prefix, --tz: how payloads become bulk actions."""
    group = parser.add_argument_group("transform")
    group.add_argument(
        "--mode",
        choices=("seed", "opensearch"),
        default="opensearch",
        help="seed: byte-identical to the seed Lambda (with _type, its index names); "
        "opensearch: valid for OpenSearch 2.x, invalid index names rejected (default)",
    )
    group.add_argument(
        "--index-strategy",
        default="seed",
        metavar="NAME|TEMPLATE",
        help="seed (mydata-<ns>-<container>-YYYY.MM.DD), cwl (cwl-YYYY.MM.DD), cwl-group "
        "(cwl-<last log group segment>-YYYY.MM.DD) or a template such as "
        "'{prefix}-{namespace}-{container}-{date:%%Y.%%m.%%d}' (opensearch mode only; default: seed)",
    )
    group.add_argument(
        "--prefix", default="mydata", help="index name prefix for the seed strategy and templates (default: mydata)"
    )
    group.add_argument(
        "--tz",
        default="UTC",
        help="time zone of the date in index names, e.g. Asia/Seoul for the local-day view "
        "(opensearch mode only; the Lambda uses UTC; default: UTC)",
    )


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """--opensearch-url, --aws-region, TLS options: where OpenSearch is and how to reach it."""
    group = parser.add_argument_group("OpenSearch connection")
    group.add_argument(
        "--opensearch-url",
        default=os.environ.get(OPENSEARCH_URL_ENV),
        metavar="URL",
        help=f"OpenSearch endpoint (env {OPENSEARCH_URL_ENV}); default: the local node, started if needed. "
        f"Basic auth from {OPENSEARCH_USER_ENV}/{OPENSEARCH_PASSWORD_ENV}",
    )
    group.add_argument(
        "--aws-region",
        metavar="REGION",
        help="sign requests with SigV4 for Amazon OpenSearch Service, credentials from the boto3 chain",
    )
    group.add_argument("--ca-certs", metavar="FILE", help="CA bundle to verify the endpoint's TLS certificate")
    group.add_argument(
        "--no-verify-tls", action="store_true", help="do not verify TLS certificates (verification is on by default)"
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """--json: machine-readable output on stdout."""
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")


def finish_with_unreadable(command: str, rejects: Iterable[Reject], status: int) -> int:
    """Exit status after an analysis: 2 if any input record was unreadable, else ``status``.

    Each unreadable record is printed as one line ``FILE:LINE: reason`` on stderr, then one line
    saying the results cover the readable records only, so partial results never pass as complete.
    """
    unreadable = [r for r in rejects if r.stage in UNREADABLE_STAGES]
    for reject in unreadable:
        print(f"{reject.location()}: {reject.reason}", file=sys.stderr)
    if not unreadable:
        return status
    print(f"efklab {command}: {len(unreadable)} input record(s) could not be read; "
          "the results above cover the readable ones only", file=sys.stderr)
    return 2

"""Options of ``efklab replay``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import (
    add_connection_options,
    add_json_option,
    add_transform_options,
)
from efklab.lambda_.checkpoint import DEFAULT_DEAD_LETTERS
from efklab.opensearch.bulk import BulkSettings

_BULK = BulkSettings()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    p = sub.add_parser(
        "replay",
        help=summary,
        description="Stream CloudWatch Logs subscription payloads (decoded JSON or Lambda events, one per line, "
        "plain or .gz) through the Lambda's transform into OpenSearch in bulk requests (--workers N in flight at "
        "once). Every action ends "
        "indexed or in the dead-letter file with the node's reason; documents use the event id as _id, so "
        "replaying twice leaves the same documents. Without --opensearch-url the local node is used (started "
        "if needed).",
        epilog="Exit codes: 0 everything indexed; 1 some items failed or were rejected (see the dead letters); "
        "2 bad input or usage (unreadable payload records are named on stderr, kept in the dead letters, and the "
        "readable ones still replayed), or the replay stopped (unreachable, credentials, TLS): re-run with the "
        "same --checkpoint to resume. A replay that stops still prints what it did (--json: \"complete\": false).",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="payload files (JSONL, .gz, pretty JSON); a directory stands for its files, sorted")
    add_connection_options(p)
    add_transform_options(p)
    group = p.add_argument_group("replay")
    group.add_argument("--checkpoint", metavar="FILE",
                       help="record progress here and resume from it: re-running after an interruption "
                       "continues exactly where it stopped (no loss, no duplicates)")
    group.add_argument("--dead-letters", metavar="FILE",
                       help=f"JSONL of everything not indexed: original document, status, the node's reason "
                       f"(default: {DEFAULT_DEAD_LETTERS}, created only when needed)")
    group.add_argument("--no-template", action="store_true",
                       help="do not install the index template (@timestamp date; @id, @log_group, @log_stream, "
                       "@owner keyword; @message text) for the strategy's index pattern")
    group.add_argument("--chunk-size", type=int, default=_BULK.chunk_size, metavar="N",
                       help=f"actions per bulk request (default: {_BULK.chunk_size})")
    group.add_argument("--chunk-bytes", type=int, default=_BULK.chunk_bytes, metavar="BYTES",
                       help=f"maximum bytes per bulk request (default: {_BULK.chunk_bytes})")
    group.add_argument("--workers", type=int, default=1, metavar="N",
                       help="bulk requests in flight at once (1-16; default: 1); a node indexes more with "
                       "several, and counts, checkpoints and dead letters stay exactly those of one")
    group.add_argument("--max-retries", type=int, default=_BULK.retry.max_retries, metavar="N",
                       help="retries of 429/5xx answers, with exponential backoff "
                       f"(default: {_BULK.retry.max_retries})")
    group.add_argument("--initial-backoff", type=float, default=_BULK.retry.initial_backoff, metavar="SECONDS",
                       help=f"first backoff, doubled on each retry up to 60s (default: {_BULK.retry.initial_backoff})")
    function = p.add_argument_group("your own Lambda function (instead of efklab's transform)")
    function.add_argument("--lambda-source", metavar="DIR|FILE",
                          help="replay through YOUR Node.js function under node: each payload is one invocation, "
                          "its requests are forwarded to the node (see efklab lambda --help); for when no "
                          "transform option reproduces it (efklab lambda diff says)")
    function.add_argument("--lambda-handler", metavar="FILE.EXPORT",
                          help="the function's handler setting (default: index.handler, or FILE.handler for a file)")
    function.add_argument("--lambda-timeout", type=float, default=3.0, metavar="SECONDS",
                          help="per-invocation timeout, as the function's Lambda setting (default: 3)")
    add_json_option(p)
    p.set_defaults(handler="run")

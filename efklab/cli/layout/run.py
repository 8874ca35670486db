"""``efklab layout``: the indices payloads create, their names, mapping risks, shards, and the node's actual layout.
"""
from __future__ import annotations

import argparse
import json
import sys

from efklab.cli.common import finish_with_unreadable
from efklab.cli.layout.text import layout_json, print_layout
from efklab.jobs.layout import index_layout


def _say(text: str) -> None:
    """Progress notes (starting the local node) go to stderr, never into the report."""
    print(text, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    result = index_layout(args.payloads, mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix,
                          tz=args.tz, pattern=args.pattern, no_template=args.no_template, field_limit=args.field_limit,
                          policy=args.policy, retention_days=args.retention_days, primaries=args.primaries,
                          replicas=args.replicas, data_nodes=args.data_nodes,
                          max_shards_per_node=args.max_shards_per_node, local=args.local,
                          opensearch_url=args.opensearch_url, aws_region=args.aws_region, ca_certs=args.ca_certs,
                          no_verify_tls=args.no_verify_tls, say=_say)
    report = layout_json(result)
    if args.json:
        print(json.dumps(report))
    else:
        print_layout(report)
    return finish_with_unreadable("layout", result.expected.rejects, 1 if result.problems else 0)

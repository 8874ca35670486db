"""Options of ``efklab layout``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import (
    add_connection_options,
    add_json_option,
    add_transform_options,
)

DESCRIPTION = """\
Transform the payloads as the Lambda does and report the index layout they imply: every index
with its documents (unique _ids), first/last @timestamp, namespaces, containers and days;
index names OpenSearch refuses, with its reason; documents a node will refuse because a field
was first mapped with another type (dynamic mapping, bulk order), fields whose type differs
between indices of the pattern (a conflict in the Dashboards index pattern), field counts
against index.mapping.total_fields.limit; and the steady-state shard count of the strategy
and of coarser ones against cluster.max_shards_per_node.

With --opensearch-url URL (or --local for this checkout's node) it also reads _cat/indices
and reports missing indices, unexpected ones and count differences."""


EPILOG = """\
Exit codes: 0 the layout is clean; 1 invalid names, refused documents, index-pattern
conflicts, a shard count over the limit or differences from the node; 2 bad input.
examples:
  efklab layout data/samples/payloads/*.jsonl.gz
  efklab layout --index-strategy cwl --policy data/samples/ism-policy.json payloads.jsonl.gz
  efklab layout --local data/samples/payloads/*.jsonl.gz        # after efklab replay"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    """Add ``efklab layout`` to the command parser."""
    p = sub.add_parser("layout", help=summary, description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("payloads", nargs="+", metavar="PAYLOADS",
                   help="payload files (JSON lines or Lambda events, .gz ok, - for stdin)")
    p.add_argument("--local", action="store_true", help="compare with this checkout's local node (started when needed)")
    p.add_argument("--pattern", metavar="P", help="index pattern for Dashboards conflicts and the node comparison "
                   "(default: the strategy's, e.g. mydata-*-*-*)")
    p.add_argument("--no-template", action="store_true",
                   help="predict mappings without the index template efklab replay installs "
                   "(@timestamp date, @id keyword ...)")
    p.add_argument("--field-limit", type=int, default=1000, metavar="N",
                   help="index.mapping.total_fields.limit (default 1000)")
    shards = p.add_argument_group("shard projection")
    shards.add_argument("--policy", metavar="FILE",
                        help="take the retention period from this ISM policy's min_index_age")
    shards.add_argument("--retention-days", type=float, metavar="D", help="retention period in days (default 30)")
    shards.add_argument("--primaries", type=int, default=1, metavar="N", help="primary shards per index (default 1)")
    shards.add_argument("--replicas", type=int, default=1, metavar="N", help="replicas per primary (default 1)")
    shards.add_argument("--data-nodes", type=int, default=1, metavar="N", help="data nodes (default 1)")
    shards.add_argument("--max-shards-per-node", type=int, default=1000, metavar="N",
                        help="cluster.max_shards_per_node (default 1000)")
    add_transform_options(p)
    add_connection_options(p)
    add_json_option(p)
    p.set_defaults(handler="run")

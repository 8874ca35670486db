"""Options of ``efklab doctor``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import (
    add_connection_options,
    add_json_option,
    add_transform_options,
)

DESCRIPTION = """\
Look at a fluentd config, an ISM policy, a sample of container logs and/or subscription payloads
(and, with --opensearch-url, at the cluster) and report what will go wrong in production: concat
regexp traps (/x/i, missing slashes, ' #', quoted escapes, start regexps that never or always
match or match only the frames, unanchored starts, end regexps that close groups on their
first line or never, '\\\\n' in /.../), a concat filter that also catches journald or kubelet
records, no timeout_label, a flush_interval shorter than gaps inside statements, a <parse>
that does not fit the lines (docker json vs CRI), Docker's 16 KiB split lines, times %N rejects,
_type in bulk actions, invalid / upper-case / 'undefined' index names, mapping conflicts and
field counts, shards over the retention period, ISM policy traps, and continuation lines
indexed as separate documents on the same millisecond.

Each finding says what was found, where (file:line or JSON path), the evidence from your samples,
why it matters and the fix.  Checks whose inputs are missing are skipped and listed.  Without
--payloads, payloads are emulated from --config over --logs.  Embedded Ruby environment lookups
(#{ENV['X'] || 'default'}) are evaluated with --env and the written defaults; the header lists
every value assumed.  --logs files are matched against every in_tail path glob."""


EPILOG = """\
Exit codes: 0 no error found (warnings allowed, unless --strict); 1 an error found; 2 bad input.
examples:
  efklab doctor --config data/samples/fluentd.yaml --policy data/samples/ism-policy.json \\
      --logs data/samples/containers --payloads data/samples/payloads/*.jsonl.gz
  efklab doctor --config fluentd.yaml --logs /var/log/containers --only concat- ordering-
  efklab doctor --config kubernetes.conf --env FLUENT_CONTAINER_TAIL_PARSER_TYPE=cri --logs node-logs/ \
      --records systemd.kubelet=kubelet.jsonl
  efklab doctor --policy policy.json --payloads capture.jsonl.gz \
--opensearch-url https://domain:443 --aws-region eu-west-1
  efklab doctor --list"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    """Add ``efklab doctor`` to the command parsers."""
    p = sub.add_parser("doctor", help=summary, description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    inputs = p.add_argument_group("inputs (give any of them; checks that need a missing one are skipped)")
    inputs.add_argument("--config", metavar="FILE",
                        help="fluentd config: ConfigMap YAML, fluent.conf, Helm template or filter body")
    inputs.add_argument("--policy", metavar="FILE", help="ISM policy JSON (as PUT to _plugins/_ism/policies)")
    inputs.add_argument("--logs", nargs="+", default=[], metavar="DIR|FILE",
                        help="container log files, or folders of *.log (docker json-file, CRI or text)")
    inputs.add_argument("--payloads", nargs="+", default=[], metavar="FILE",
                        help="subscription payloads (JSON lines or Lambda events, .gz ok); "
                        "default: emulated from --config over --logs")
    inputs.add_argument("--records", nargs="+", default=[], metavar="TAG=FILE",
                        help="records of other sources (journald, forward) as JSON lines, with the tag they carry "
                        "(e.g. systemd.kubelet=kubelet.jsonl from journalctl -o json): routed to the filters that "
                        "tag meets")
    inputs.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable the config's embedded Ruby reads (#{ENV['NAME'] || 'default'}); "
                        "unset ones take the written default, and the header says which value was assumed "
                        "(repeatable)")
    inputs.add_argument("--max-lines", type=int, metavar="N",
                        help="read at most N lines of each log file (default: all)")
    cluster = p.add_argument_group("cluster shape (read from the node with --opensearch-url)")
    cluster.add_argument("--primaries", type=int, default=1, metavar="N", help="primary shards per index (default 1)")
    cluster.add_argument("--replicas", type=int, default=1, metavar="N", help="replicas per primary (default 1)")
    cluster.add_argument("--data-nodes", type=int, default=1, metavar="N", help="data nodes (default 1)")
    cluster.add_argument("--max-shards-per-node", type=int, default=1000, metavar="N",
                         help="cluster.max_shards_per_node (default 1000)")
    cluster.add_argument("--field-limit", type=int, default=1000, metavar="N",
                         help="index.mapping.total_fields.limit (default 1000)")
    run = p.add_argument_group("what to run and show")
    run.add_argument("--only", nargs="+", default=[], metavar="CHECK",
                     help="run only these checks (ids or prefixes, e.g. ism- ordering-)")
    run.add_argument("--skip", nargs="+", default=[], metavar="CHECK", help="do not run these checks (ids or prefixes)")
    run.add_argument("--min-severity", choices=("error", "warning", "info"), default="info",
                     help="hide findings below this (default: info)")
    run.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    run.add_argument("--list", action="store_true", help="list the checks (id, severity, inputs, sources) and exit")
    add_transform_options(p)
    add_connection_options(p)
    p.add_argument("--local", action="store_true",
                   help="read node facts from this checkout's local node (started when needed)")
    add_json_option(p)
    p.set_defaults(handler="run_doctor")

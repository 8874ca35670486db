"""Options of ``efklab retention validate|simulate|apply|explain``: argparse only, so the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import (
    add_connection_options,
    add_json_option,
    add_transform_options,
)

DESCRIPTION = """\
Validate ISM policies (errors name the JSON path), forecast what they delete and when, PUT them
on a cluster and explain the managed indices.

simulate models the ISM job as the plugin runs it: a job per index every --job-interval
minutes plus a random delay up to --jitter of the interval; the first run only initialises,
each later run performs one step; min_index_age counts from index.creation_date.  From
payloads, an index is created when its first document arrives (the newest event of its
payload); documents that arrive after ISM deleted their daily index create it again.  From a
cluster (no payloads), creation dates, counts and sizes are read from the node."""


EPILOG = """\
times: ISO 8601 (2021-06-30, 2021-06-30T04:48:37Z) or epoch ms.  Exit codes: 0 ok, 1 explain
found failed indices, 2 bad input (one line: file:JSON path: reason) or an unreachable cluster.
examples:
  efklab retention validate data/samples/ism-policy.json
  efklab retention simulate --policy data/samples/ism-policy.json data/samples/payloads/*.jsonl.gz
  efklab retention simulate --policy data/samples/ism-policy.json --replayed-at 2021-06-20 payloads.jsonl.gz
  efklab retention apply --policy data/samples/ism-policy.json --add 'mydata-*'
  efklab retention explain 'mydata-*'"""


def _time_text(text: str) -> str:
    """A time as written; an empty one is refused here (for the jobs, empty means unset)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty time: use ISO 8601 such as 2021-06-30T04:48:37Z, epoch seconds "
                                         "or milliseconds, 'now' or an age such as 15m, 2h, 3d")
    return text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    """Add ``efklab retention`` and its actions to the command parser."""
    p = sub.add_parser("retention", help=summary, description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    actions.required = True

    v = actions.add_parser("validate", help="check policy files as the ISM plugin would (exit 2 on the first error)")
    v.add_argument("policies", nargs="+", metavar="POLICY", help="policy JSON files ({\"policy\": ...})")
    add_json_option(v)
    v.set_defaults(handler="run_validate")

    s = actions.add_parser("simulate", help="forecast per index when the policy deletes it; gone/kept/due as of a time",
                           description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    _policy_option(s)
    s.add_argument("payloads", nargs="*", metavar="PAYLOADS", help="payload files (else: the indices of a cluster)")
    s.add_argument("--at", type=_time_text, metavar="TIME", help="report gone/kept/due as of TIME (default: now)")
    s.add_argument("--job-interval", type=int, metavar="MIN",
                   help="ISM job interval in minutes (default: 5, or the cluster's)")
    s.add_argument("--jitter", type=float, metavar="J",
                   help="ISM job jitter 0..1, capped at 0.6 (default: 0.6, or the cluster's)")
    s.add_argument("--applied-at", type=_time_text, metavar="TIME",
                   help="when the policy was PUT: indices created before it are not attached")
    s.add_argument("--replayed-at", type=_time_text, metavar="TIME",
                   help="all indices created at TIME (a backfill/replay) instead of on arrival")
    s.add_argument("--pattern", default="*",
                   help="with a cluster: which indices to read (default: * without dot indices)")
    s.add_argument("--plot", metavar="PNG", help="also write the retention timeline figure")
    add_transform_options(s)
    add_connection_options(s)
    add_json_option(s)
    s.set_defaults(handler="run_simulate")

    a = actions.add_parser("apply", help="PUT the policy (create or update); --add attaches it to existing indices")
    _policy_option(a)
    a.add_argument("--policy-id", metavar="ID", help="policy id (default: the file's policy_id, else its name)")
    a.add_argument("--add", metavar="PATTERN", help="also POST _ism/add/PATTERN: attach to indices that already exist")
    a.add_argument("--job-interval", type=int, metavar="MIN",
                   help="set plugins.index_state_management.job_interval first")
    a.add_argument("--jitter", type=float, metavar="J", help="set plugins.index_state_management.jitter first")
    a.add_argument("--dry-run", action="store_true",
                   help="change nothing: say what would be PUT and which existing indices would (not) get the policy")
    _legacy_option(a)
    add_connection_options(a)
    add_json_option(a)
    a.set_defaults(handler="run_apply")

    e = actions.add_parser("explain", help="managed or not, state, action, step, failures (exit 1 when any failed)")
    e.add_argument("pattern", nargs="?", metavar="PATTERN", help="indices to explain (default: every managed index)")
    _legacy_option(e)
    add_connection_options(e)
    add_json_option(e)
    e.set_defaults(handler="run_explain")


def _policy_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", action="append", required=True, metavar="FILE", help="policy JSON file (repeatable)")


def _legacy_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--legacy-api", action="store_true",
                   help="use _opendistro/_ism (older Amazon OpenSearch Service / Elasticsearch domains)")

"""Options of ``efklab retention validate|simulate|apply|explain|rehearse``: argparse only (no engine loaded)."""
from __future__ import annotations

import argparse

from efklab.cli.common import (
    add_connection_options,
    add_json_option,
    add_transform_options,
)

DESCRIPTION = """\
Validate ISM policies (errors name the JSON path), forecast what they delete and when, PUT them
on a cluster, explain the managed indices (observed on the node), and rehearse a time-scaled copy
on the local node's real ISM plugin beside the forecast.

simulate models the ISM job as the plugin runs it: a job per index every --job-interval
minutes plus a random delay up to --jitter of the interval; the first run only initialises,
each later run performs one step; min_index_age counts from index.creation_date.  From
payloads, an index is created when its first document arrives (the newest event of its
payload); documents that arrive after ISM deleted their daily index create it again.  From a
cluster (no payloads), creation dates, counts and sizes are read from the node."""


REHEARSE_DESCRIPTION = """\
Rehearse the policy on a real node with ISM (the local node by default, job interval 1 minute):
a copy with every age scaled (--scale 1d=3s: 30d becomes 90s) and its own template is PUT;
the payloads' indices are created in their arrival order at the scaled spacing, one of them
also just before the PUT (the template must not reach it), and a late event is sent to the
first index once ISM deleted it (it must come back as a new index with a new lifetime).
Every few seconds the node is polled (explain, which indices exist); at the end each index
generation shows the forecast beside what was observed on the node, and whether the observed
deletion falls in the forecast window (allowing 30 s of plugin latency).  Exit 0 when all
agree, 1 otherwise.

What it cannot show: OpenSearch 2.19 refuses index.creation_date at creation, so every
rehearsed index starts its life when it is created; a back-dated index (a backfill of old
days) is deleted by its real creation date, which only the forecast (simulate) reads.  Job
runs are not scaled: one 1-minute run stands for 20 days at 1d=3s."""


EPILOG = """\
times: ISO 8601 (2021-06-30, 2021-06-30T04:48:37Z) or epoch ms.  Exit codes: 0 ok, 1 explain
found failed indices, 2 bad input (one line: file:JSON path: reason) or an unreachable cluster.
examples:
  efklab retention validate data/samples/ism-policy.json
  efklab retention simulate --policy data/samples/ism-policy.json data/samples/payloads/*.jsonl.gz
  efklab retention simulate --policy data/samples/ism-policy.json --replayed-at 2021-06-20 payloads.jsonl.gz
  efklab retention apply --policy data/samples/ism-policy.json --add 'mydata-*'
  efklab retention rehearse --scale 1d=3s --indices 4
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

    v = actions.add_parser("validate", help="check policy files as the ISM plugin would (exit 2 on the first error)",
                           description="Read ISM policy files and check them as the plugin would before it "
                           "accepts a PUT; print each policy's states and when it deletes. No node needed. "
                           "Exit 0 all valid, 2 on the first invalid file (named with its position).")
    v.add_argument("policies", nargs="+", metavar="POLICY", help="policy JSON files ({\"policy\": ...})")
    add_json_option(v)
    v.set_defaults(handler="run_validate")

    s = actions.add_parser("simulate", help="forecast per index when the policy deletes it; gone/kept/due as of a time",
                           description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    _policy_option(s)
    s.add_argument("payloads", nargs="*", metavar="PAYLOADS", help="payload files (else: the indices of a cluster)")
    s.add_argument("--at", type=_time_text, metavar="TIME",
                   help="report gone/kept/due as of TIME (default: the last document's arrival with payloads, as in "
                        "notebook 05; now with a cluster)")
    s.add_argument("--by-index", action="store_true",
                   help="one line per index even when there are many (default: one line per creation day beyond 40)")
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

    a = actions.add_parser("apply", help="PUT the policy (create or update); --add attaches it to existing indices",
                           description="Create or update an ISM policy on a node (PUT _plugins/_ism/policies/ID "
                           "with the sequence numbers an update needs); --add PATTERN also attaches it to "
                           "indices that exist already, which an ism_template never does. Exit 0 done, 1 when "
                           "attaching failed for some index (or --dry-run finds no ISM plugin).")
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

    r = actions.add_parser(
        "rehearse", help="run a time-scaled copy of the policy on the local node and compare ISM with the forecast",
        description=REHEARSE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("payloads", nargs="*", metavar="PAYLOADS",
                   help="payload files whose indices to rehearse (default: the committed samples)")
    r.add_argument("--policy", default="", metavar="FILE", help="policy JSON file (default: the seed's)")
    r.add_argument("--scale", default="", metavar="POLICY=NODE",
                   help="policy time = node time (default: 1d=3s, so 30d becomes 90s)")
    r.add_argument("--indices", type=int, default=4, metavar="N",
                   help="payload indices to create, spread over the arrivals (default: 4)")
    r.add_argument("--no-late-event", action="store_true",
                   help="do not send a late event to the first index after ISM deleted it")
    r.add_argument("--timeout", type=float, default=20.0, metavar="MIN",
                   help="stop watching after MIN minutes (default: 20)")
    r.add_argument("--keep", action="store_true", help="leave the rehearsal's indices and policy on the node")
    add_transform_options(r)
    add_connection_options(r)
    add_json_option(r)
    r.set_defaults(handler="run_rehearse")

    e = actions.add_parser("explain", help="managed or not, state, action, step, failures (exit 1 when any failed)",
                           description="Ask the node's ISM explain API about indices: managed or not, by which "
                           "policy, their state, action and step, and any failure. Exit 0, or 1 when an index's "
                           "policy failed.")
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

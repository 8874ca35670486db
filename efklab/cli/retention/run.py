"""``efklab retention validate|simulate|apply|explain|rehearse``: ISM policies checked, forecast, applied and explained.
"""
from __future__ import annotations

import argparse
import json
import sys

from efklab.cli.retention.text import (
    describe_policy,
    print_apply,
    print_explain,
    print_rehearsal,
    print_simulation,
    rehearsal_json,
    simulation_json,
)
from efklab.jobs.policies import read_policies
from efklab.jobs.rehearsal import rehearse
from efklab.jobs.retention import apply_policy, explain, simulate
from efklab.model import Reject
from efklab.reports.plots_retention import plot_retention_timeline


def _say(text: str) -> None:
    """Progress notes (starting the local node) go to stderr, never into the output."""
    print(text, file=sys.stderr)


def _skipped(reject: Reject) -> None:
    print(f"efklab retention: skipped {reject.location()}: {reject.reason}", file=sys.stderr)


def run_validate(args: argparse.Namespace) -> int:
    policies = read_policies(args.policies)
    if args.json:
        print(json.dumps([{"source": p.source, "policy_id": p.policy_id, "valid": True, "deletes": p.deletes}
                          for p in policies]))
    else:
        for policy in policies:
            print(f"{policy.source}: ok")
            print("\n".join(describe_policy(policy)))
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    simulation = simulate(args.payloads, policy=args.policy, at=args.at, job_interval=args.job_interval,
                          jitter=args.jitter, applied_at=args.applied_at, replayed_at=args.replayed_at,
                          pattern=args.pattern, mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix,
                          tz=args.tz, opensearch_url=args.opensearch_url, aws_region=args.aws_region,
                          ca_certs=args.ca_certs, no_verify_tls=args.no_verify_tls, at_last_arrival=True, say=_say,
                          on_skipped=_skipped)
    if args.plot:
        plot_retention_timeline(simulation.generations, at=simulation.at).savefig(args.plot, dpi=110)
    if args.json:
        print(json.dumps(simulation_json(simulation)))
    else:
        print_simulation(simulation, by_index=args.by_index)
    return 0


def run_apply(args: argparse.Namespace) -> int:
    applied = apply_policy(args.policy, policy_id=args.policy_id, add=args.add, job_interval=args.job_interval,
                           jitter=args.jitter, dry_run=args.dry_run, legacy_api=args.legacy_api,
                           opensearch_url=args.opensearch_url, aws_region=args.aws_region, ca_certs=args.ca_certs,
                           no_verify_tls=args.no_verify_tls, say=_say)
    result = applied.result
    if args.json:
        print(json.dumps(result))
    else:
        print_apply(applied, opensearch_url=args.opensearch_url, add=args.add, policy_file=args.policy[0])
    if args.dry_run:
        return 0 if result["ism_installed"] else 1
    return 1 if result.get("added", {}).get("failed_indices") else 0


def run_explain(args: argparse.Namespace) -> int:
    rows = explain(args.pattern, legacy_api=args.legacy_api, opensearch_url=args.opensearch_url,
                   aws_region=args.aws_region, ca_certs=args.ca_certs, no_verify_tls=args.no_verify_tls, say=_say)
    if args.json:
        print(json.dumps([r.to_json() for r in rows]))
    else:
        print_explain(rows)
    return 1 if any(r.failed for r in rows) else 0


def run_rehearse(args: argparse.Namespace) -> int:
    report = rehearse(args.payloads, policy=args.policy, scale=args.scale, indices=args.indices,
                      late_event=not args.no_late_event, timeout_minutes=args.timeout, keep=args.keep,
                      mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix, tz=args.tz,
                      opensearch_url=args.opensearch_url, aws_region=args.aws_region, ca_certs=args.ca_certs,
                      no_verify_tls=args.no_verify_tls, say=_say)
    if args.json:
        print(json.dumps(rehearsal_json(report)))
    else:
        print_rehearsal(report)
    return 0 if report.agrees else 1

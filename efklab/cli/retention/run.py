"""``efklab retention validate|simulate|apply|explain``: ISM policies checked, forecast, applied and explained.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from efklab.cli.retention.text import describe_policy, print_simulation, simulation_json
from efklab.errors import InputError, PayloadError, PolicyError, RemoteError, UsageError
from efklab.model import UNREADABLE_STAGES
from efklab.opensearch.patterns import patterns_overlap
from efklab.retention.attachment import attach_policy
from efklab.retention.forecast import (
    Generation,
    find_traps,
    plan_generations,
    summarize_at,
)
from efklab.retention.policy import Policy, load_policy
from efklab.retention.schedule import JobSettings
from efklab.units import parse_time


def read_policies(paths: Sequence[str]) -> list[Policy]:
    """Load and validate policy files; two policies whose templates overlap at one priority are refused."""
    policies = []
    for path in paths:
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read policy: {exc.strerror}", source=path) from exc
        policies.append(load_policy(text, source=path))
    for i, first in enumerate(policies):
        for second in policies[i + 1:]:
            if first.policy_id == second.policy_id:
                raise PolicyError(f"two files define policy {first.policy_id}", source=second.source, position="$.policy.policy_id")
            for a in first.ism_templates:
                for b in second.ism_templates:
                    if a.priority == b.priority and patterns_overlap(a.index_patterns, b.index_patterns):
                        raise PolicyError(
                            f"ISM template {list(b.index_patterns)} overlaps {first.policy_id}'s {list(a.index_patterns)} at "
                            f"priority {a.priority}; the plugin refuses this PUT: use a different priority",
                            source=second.source, position=b.path)
    return policies


def run_validate(args: argparse.Namespace) -> int:
    policies = read_policies(args.policies)
    if args.json:
        print(json.dumps([{"source": p.source, "policy_id": p.policy_id, "valid": True, "deletes": p.deletes} for p in policies]))
    else:
        for policy in policies:
            print(f"{policy.source}: ok")
            print("\n".join(describe_policy(policy)))
    return 0


def _job_settings(args: argparse.Namespace, cluster: tuple[int, float] | None) -> JobSettings:
    interval, jitter = cluster or (5, 0.6)
    interval = args.job_interval if args.job_interval is not None else interval
    jitter = args.jitter if args.jitter is not None else jitter
    if interval < 1:
        raise UsageError("--job-interval must be at least 1 minute (the plugin's minimum)")
    if not 0.0 <= jitter <= 1.0:
        raise UsageError("--jitter must be between 0 and 1")
    return JobSettings(interval_minutes=interval, jitter=jitter)


def _time_option(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(value, now_ms=int(time.time() * 1000))
    except ValueError as exc:
        raise UsageError(str(exc), source=name) from None


def run_simulate(args: argparse.Namespace) -> int:
    policies = read_policies(args.policy)
    at = _time_option(args.at, "--at") or int(time.time() * 1000)
    applied = _time_option(args.applied_at, "--applied-at")
    applied_at = {p.policy_id: applied for p in policies} if applied is not None else None
    replayed = _time_option(args.replayed_at, "--replayed-at")
    if args.payloads:
        settings = _job_settings(args, None)
        generations = _generations_from_payloads(args, policies, settings, applied_at, replayed)
    else:
        generations, settings = _generations_from_cluster(args, policies, applied_at)
    findings = find_traps(generations, policies)
    summary = summarize_at(generations, at)
    if args.plot:
        from efklab.reports.plots import plot_retention_timeline

        plot_retention_timeline(generations, now=at).savefig(args.plot, dpi=110)
    if args.json:
        print(json.dumps(simulation_json(policies, settings, generations, summary, findings, at)))
    else:
        print_simulation(policies, settings, generations, summary, findings, at)
    return 0


def _generations_from_payloads(args: argparse.Namespace, policies: list[Policy], settings: JobSettings,
                               applied_at: dict[str, int] | None, replayed: int | None) -> list[Generation]:
    from efklab.adapters.payloadfiles import iter_payload_records
    from efklab.lambda_.layout import expect_layout
    from efklab.lambda_.transform import TransformOptions

    options = TransformOptions(mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix, tz=args.tz)
    layout = expect_layout(iter_payload_records(args.payloads), options)
    for reject in layout.rejects:
        if reject.stage in UNREADABLE_STAGES:
            raise PayloadError(reject.reason, source=reject.source, position=reject.position)
        print(f"efklab retention: skipped {reject.location()}: {reject.reason}", file=sys.stderr)
    generations: list[Generation] = []
    for index in layout.indices:
        arrivals = [replayed] * index.doc_count if replayed is not None else list(index.arrivals)
        generations.extend(plan_generations(index.name, arrivals, policies, settings, applied_at=applied_at))
    return generations


def _generations_from_cluster(args: argparse.Namespace, policies: list[Policy],
                              applied_at: dict[str, int] | None) -> tuple[list[Generation], JobSettings]:
    from efklab.adapters.ism import (
        IsmApi,
        ism_installed,
        read_index_facts,
        read_job_settings,
    )
    from efklab.cli.target import open_target
    from efklab.retention.explain import read_explain
    from efklab.retention.schedule import forecast_index

    client, conn = open_target(args)
    facts = [f for f in read_index_facts(client, conn, args.pattern) if not f.name.startswith(".")]
    cluster_settings = None
    if ism_installed(client, conn):
        cluster_settings = read_job_settings(client, conn)
        managed = {r.index: r.policy_id for r in read_explain(IsmApi(client, conn).explain(args.pattern)) if r.managed}
        facts = [replace(f, managed_by=managed.get(f.name)) for f in facts]
    settings = _job_settings(args, cluster_settings)
    generations = []
    for fact in facts:
        attachment = attach_policy(fact, policies, applied_at=applied_at)
        policy = next((p for p in policies if p.policy_id == attachment.policy_id), None)
        generations.append(Generation(forecast_index(fact, attachment, policy, settings), 1, fact.doc_count or 0, 0))
    return generations, settings


def _require_ism(client: Any, conn: Any) -> None:
    from efklab.adapters.ism import ism_installed

    if not ism_installed(client, conn):
        raise RemoteError(f"{conn.display_url} has no Index State Management plugin (opensearch-index-management); "
                          "install it, or use a domain that has it")


def run_apply(args: argparse.Namespace) -> int:
    from efklab.adapters.ism import (
        IsmApi,
        ism_installed,
        read_index_facts,
        set_job_settings,
    )
    from efklab.cli.target import open_target

    if len(args.policy) != 1:
        raise UsageError("apply takes one --policy")
    (policy,) = read_policies(args.policy)
    policy_id = args.policy_id or (policy.policy_id if policy.policy_id != "policy" else Path(args.policy[0]).stem)
    body = {"policy": json.loads(Path(args.policy[0]).read_bytes())["policy"]}
    client, conn = open_target(args)
    api = IsmApi(client, conn, legacy=args.legacy_api)
    patterns = [p for t in policy.ism_templates for p in t.index_patterns]
    existing = sorted({f.name for pattern in patterns for f in read_index_facts(client, conn, pattern) if not f.name.startswith(".")})
    to_add = sorted(f.name for f in read_index_facts(client, conn, args.add)) if args.add else []
    result: dict[str, Any] = {"policy_id": policy_id, "existing_not_attached": [n for n in existing if n not in to_add]}
    if args.dry_run:
        result |= {"dry_run": True, "ism_installed": ism_installed(client, conn), "would_add": to_add}
    else:
        _require_ism(client, conn)
        set_job_settings(client, conn, interval_minutes=args.job_interval, jitter=args.jitter)
        answer = api.put_policy(policy_id, body)
        result |= {"version": answer.get("_version"), "seq_no": answer.get("_seq_no")}
        if args.add:
            added = api.add_policy(args.add, policy_id)
            result["added"] = {"updated_indices": added.get("updated_indices", 0), "failed_indices": added.get("failed_indices", [])}
    if args.json:
        print(json.dumps(result))
    else:
        _print_apply(args, api.base, patterns, result)
    if args.dry_run:
        return 0 if result["ism_installed"] else 1
    return 1 if result.get("added", {}).get("failed_indices") else 0


def _print_apply(args: argparse.Namespace, base: str, patterns: list[str], result: dict[str, Any]) -> None:
    policy_id, not_attached = result["policy_id"], result["existing_not_attached"]
    if result.get("dry_run"):
        print(f"dry run: would PUT {base}/policies/{policy_id}" + ("" if result["ism_installed"] else
              f" -- but {args.opensearch_url or 'the cluster'} has no Index State Management plugin: it would fail"))
        if args.add:
            print(f"would POST {base}/add/{args.add}: {len(result['would_add'])} indices")
    else:
        print(f"PUT {base}/policies/{policy_id}: version {result['version']}")
        if args.add:
            print(f"POST {base}/add/{args.add}: {result['added']['updated_indices']} indices attached")
            for failure in result["added"]["failed_indices"]:
                print(f"  not attached: {failure.get('index_name')}: {failure.get('reason')}")
    if not_attached:
        verb = "would NOT get" if result.get("dry_run") else "will NOT get"
        print(f"{len(not_attached)} existing indices match {patterns} and {verb} the policy (templates only attach to "
              f"indices created after the PUT); attach them with: efklab retention apply --policy {args.policy[0]} "
              f"--add '{patterns[0]}'")


def run_explain(args: argparse.Namespace) -> int:
    from efklab.adapters.ism import IsmApi
    from efklab.cli.target import open_target
    from efklab.retention.explain import read_explain

    client, conn = open_target(args)
    _require_ism(client, conn)
    rows = read_explain(IsmApi(client, conn, legacy=args.legacy_api).explain(args.pattern))
    if args.json:
        print(json.dumps([r.to_json() for r in rows]))
    else:
        width = max([len(r.index) for r in rows] + [5])
        for row in rows:
            where = f"{row.policy_id}/{row.state or '-'}/{row.action or '-'}/{row.step or '-'}" if row.managed else "-"
            print(f"{row.index:<{width}}  {where:<48}  {row.next}")
        print(f"{sum(r.managed for r in rows)} of {len(rows)} indices managed, {sum(r.failed for r in rows)} failed")
    return 1 if any(r.failed for r in rows) else 0

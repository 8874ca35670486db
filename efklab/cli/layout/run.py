"""``efklab layout``: the indices payloads create, their names, mapping risks, shards, and the node's actual layout.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from efklab.cli.common import finish_with_unreadable
from efklab.errors import UsageError
from efklab.lambda_.layout import (
    ExpectedLayout,
    LayoutDiff,
    daily_index_counts,
    diff_layout,
    expect_layout,
    parse_cat_indices,
)
from efklab.opensearch.mappings import find_pattern_conflicts
from efklab.opensearch.shards import ShardProjection, compare_strategies
from efklab.retention.policy import retention_days
from efklab.units import format_time


def run(args: argparse.Namespace) -> int:
    from efklab.adapters.payloadfiles import iter_payload_records
    from efklab.lambda_.indextemplate import MAPPED_FIELDS, index_pattern
    from efklab.lambda_.transform import TransformOptions
    from efklab.opensearch.indexnames import compile_index_strategy

    options = TransformOptions(mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix, tz=args.tz)
    pattern = args.pattern or index_pattern(compile_index_strategy("seed" if args.mode == "seed" else args.index_strategy,
                                                                   prefix=args.prefix, tz=args.tz))
    explicit = None if args.no_template else {k: v["type"] for k, v in MAPPED_FIELDS.items()}
    layout = expect_layout(iter_payload_records(args.payloads), options, explicit_mappings=explicit, field_limit=args.field_limit)
    days = args.retention_days
    if args.policy:
        from efklab.cli.retention.run import read_policies

        (policy,) = read_policies([args.policy])
        days = retention_days(policy) if days is None else days
        if days is None:
            raise UsageError(f"{args.policy}: the policy never deletes on min_index_age; give --retention-days", source="--policy")
    days = 30.0 if days is None else days
    projections = compare_strategies(daily_index_counts(layout), days, primaries=args.primaries, replicas=args.replicas,
                                     data_nodes=args.data_nodes, max_shards_per_node=args.max_shards_per_node)
    diff = actual = None
    if args.local or args.opensearch_url:
        from efklab.adapters.opensearch import cat_indices, refresh
        from efklab.cli.target import open_target

        client, conn = open_target(args)
        refresh(client, conn, pattern)
        actual = parse_cat_indices(cat_indices(client, conn, pattern))
        diff = diff_layout(layout, actual, pattern)
    report = _report(layout, pattern, projections, days, diff, actual, args.field_limit)
    if args.json:
        print(json.dumps(report))
    else:
        _print(report)
    return finish_with_unreadable("layout", layout.rejects, 1 if report["problems"] else 0)


def _report(layout: ExpectedLayout, pattern: str, projections: list[ShardProjection], days: float, diff: LayoutDiff | None,
            actual: Any, field_limit: int) -> dict[str, Any]:
    mappings = list(layout.mappings.indices.values())
    conflicts = {m.index: {f: {k: (dict(v) if k == "reasons" else v) for k, v in c.items()} for f, c in m.conflicts().items()}
                 for m in mappings if m.rejected}
    pattern_conflicts = find_pattern_conflicts(mappings, pattern)
    own = next((p for p in projections if p.strategy == "this strategy"), None)
    problems = []
    refused_names = [n for n in layout.invalid_names if not n.accepted]
    if refused_names:
        problems.append(f"{len(refused_names)} invalid index names")
    if len(refused_names) < len(layout.invalid_names):
        problems.append(f"{len(layout.invalid_names) - len(refused_names)} index names with 'undefined' segments")
    if layout.rejects:
        problems.append(f"{len(layout.rejects)} events produce no document")
    if conflicts:
        problems.append(f"{sum(i.refused for i in layout.indices)} documents the node will refuse (mapping conflicts)")
    if pattern_conflicts:
        problems.append(f"{len(pattern_conflicts)} fields with conflicting types in {pattern}")
    if own is not None and not own.fits:
        problems.append(f"{own.steady_shards} shards at steady state > limit {own.limit}")
    if diff is not None and not diff.clean:
        problems.append("the node differs from the expected layout")
    return {
        "pattern": pattern,
        "indices": [{"index": i.name, "docs": i.doc_count, "events": i.events, "refused": i.refused,
                     "first_timestamp": i.first_timestamp, "last_timestamp": i.last_timestamp,
                     "namespaces": list(i.namespaces), "containers": list(i.containers), "days": list(i.days),
                     "fields": layout.mappings.indices[i.name].field_count if i.name in layout.mappings.indices else 0}
                    for i in layout.indices],
        "invalid_names": [{"index": n.name, "reason": n.reason, "events": n.events, "example": n.example, "accepted": n.accepted}
                          for n in layout.invalid_names],
        "rejects": [r.to_json() | {"item": None} for r in layout.rejects],
        "mapping_conflicts": conflicts,
        "pattern_conflicts": [{"field": c.field, "types": {k: list(v) for k, v in c.types.items()}} for c in pattern_conflicts],
        "field_limit": field_limit,
        "shards": {"retention_days": days, "strategies": [p.to_json() for p in projections]},
        "actual": None if actual is None else [asdict(a) for a in actual],
        "diff": None if diff is None else {"missing": list(diff.missing), "unexpected": list(diff.unexpected),
                                           "count_mismatches": [list(m) for m in diff.count_mismatches],
                                           "matching": len(diff.matching)},
        "problems": problems,
    }


def _time(ms: int | None) -> str:
    return format_time(ms) if ms is not None else "-"


def _print(report: dict[str, Any]) -> None:
    out = sys.stdout.write
    rows = report["indices"]
    width = max([len(r["index"]) for r in rows] + [5])
    out(f"{'index':<{width}}  {'docs':>7}  {'first @timestamp':<20}  {'last @timestamp':<20}  namespaces/containers\n")
    for r in rows:
        refused = f" ({r['refused']} refused)" if r["refused"] else ""
        out(f"{r['index']:<{width}}  {r['docs']:>7}  {_time(r['first_timestamp']):<20}  {_time(r['last_timestamp']):<20}  "
            f"{','.join(r['namespaces'])}/{','.join(r['containers'])}{refused}\n")
    days = sorted({d for r in rows for d in r["days"]})
    out(f"{len(rows)} indices, {sum(r['docs'] for r in rows)} documents"
        + (f", {days[0]} .. {days[-1]} ({len(days)} days)" if days else "") + f"; pattern {report['pattern']}\n")
    refused = [n for n in report["invalid_names"] if not n["accepted"]]
    if not report["invalid_names"]:
        out(f"index names: all {len(rows)} valid for OpenSearch\n")
    if refused:
        out("\ninvalid index names (OpenSearch refuses them; their documents are lost):\n")
        for n in refused:
            out(f"  {n['index']}  {n['events']} events  {n['reason']}  (e.g. {n['example']})\n")
    suspect = [n for n in report["invalid_names"] if n["accepted"]]
    if suspect:
        out("\nwrong index names OpenSearch accepts:\n")
        for n in suspect:
            out(f"  {n['index']}  {n['events']} events  {n['reason']}  (e.g. {n['example']})\n")
    if report["rejects"]:
        out(f"\n{len(report['rejects'])} events produce no document:\n")
        for r in report["rejects"][:20]:
            out(f"  {r.get('source', '')}:{r.get('position', '')}: {r['reason']}\n")
    if report["mapping_conflicts"]:
        out("\ndocuments the node will refuse (the field was mapped earlier with another type):\n")
        for index, fields in report["mapping_conflicts"].items():
            for name, c in fields.items():
                reason = next(iter(c["reasons"]))
                out(f"  {index}  {name}: mapped {c['mapped']}, {c['count']} refused, e.g. {c['examples']}: {reason}\n")
    if report["pattern_conflicts"]:
        out(f"\nfields with conflicting types across {report['pattern']} (Dashboards index pattern conflict):\n")
        for c in report["pattern_conflicts"]:
            out(f"  {c['field']}: " + "; ".join(f"{t} in {len(ix)} indices (e.g. {ix[0]})" for t, ix in c["types"].items()) + "\n")
    busiest = max(rows, key=lambda r: r["fields"], default=None)
    if busiest:
        out(f"\nmost fields: {busiest['index']} with {busiest['fields']} of {report['field_limit']} (index.mapping.total_fields.limit)\n")
    shards = report["shards"]
    out(f"\nshards at steady state ({shards['retention_days']:g} days retention):\n")
    for s in shards["strategies"]:
        verdict = "fits" if s["fits"] else f"OVER THE LIMIT: index creation fails from day {s['full_on_day']}"
        out(f"  {s['strategy']:<32} {s['indices_per_day']:>4} indices/day  {s['steady_shards']:>6} / {s['limit']} shards  {verdict}\n")
    if report["actual"] is not None:
        out(f"\nnode ({len(report['actual'])} indices matching {report['pattern']}):\n")
        for a in report["actual"]:
            out(f"  {a['name']:<{width}}  {a['health']:<6} {a['status']:<6} {a['primaries']}p/{a['replicas']}r  "
                f"{a['doc_count']:>7} docs  created {_time(a['creation_date'] or None)}\n")
    if report["diff"] is not None:
        diff = report["diff"]
        out(f"\nnode: {diff['matching']} indices as expected\n")
        for name in diff["missing"]:
            out(f"  missing     {name}\n")
        for name in diff["unexpected"]:
            out(f"  unexpected  {name}\n")
        for name, want, have in diff["count_mismatches"]:
            out(f"  count       {name}: expected {want}, node has {have}\n")
    out(("\nproblems: " + "; ".join(report["problems"]) if report["problems"] else "\nno problems found") + "\n")

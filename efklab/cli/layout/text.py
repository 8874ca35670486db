"""Text and JSON renderings of ``efklab layout``: the report as ``--json`` prints it, and as text."""
from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

from efklab.jobs.layout import LayoutResult
from efklab.units import format_time


def layout_json(result: LayoutResult) -> dict[str, Any]:
    """The ``--json`` report: indices, names, rejects, conflicts, shards, the node and the problems."""
    layout = result.expected
    conflicts = {m.index: {f: {k: (dict(v) if k == "reasons" else v) for k, v in c.items()}
                           for f, c in m.conflicts().items()}
                 for m in layout.mappings.indices.values() if m.rejected}
    diff = result.diff
    return {
        "pattern": result.pattern,
        "indices": [{"index": i.name, "docs": i.doc_count, "events": i.events, "refused": i.refused,
                     "first_timestamp": i.first_timestamp, "last_timestamp": i.last_timestamp,
                     "namespaces": list(i.namespaces), "containers": list(i.containers), "days": list(i.days),
                     "fields": layout.mappings.indices[i.name].field_count if i.name in layout.mappings.indices else 0}
                    for i in layout.indices],
        "invalid_names": [{"index": n.name, "reason": n.reason, "events": n.events, "example": n.example,
                           "accepted": n.accepted} for n in layout.invalid_names],
        "rejects": [r.to_json() | {"item": None} for r in layout.rejects],
        "mapping_conflicts": conflicts,
        "pattern_conflicts": [{"field": c.field, "types": {k: list(v) for k, v in c.types.items()}}
                              for c in result.pattern_conflicts],
        "field_limit": result.field_limit,
        "shards": {"retention_days": result.retention_days, "strategies": [p.to_json() for p in result.projections]},
        "actual": None if result.actual is None else [asdict(a) for a in result.actual],
        "diff": None if diff is None else {"missing": list(diff.missing), "unexpected": list(diff.unexpected),
                                           "count_mismatches": [list(m) for m in diff.count_mismatches],
                                           "matching": len(diff.matching)},
        "problems": list(result.problems),
    }


def _time(ms: int | None) -> str:
    return format_time(ms) if ms is not None else "-"


def print_layout(report: dict[str, Any]) -> None:
    """The report as text on stdout: indices, names, refusals, conflicts, shards, the node, problems."""
    out = sys.stdout.write
    rows = report["indices"]
    width = max([len(r["index"]) for r in rows] + [5])
    out(f"{'index':<{width}}  {'docs':>7}  {'first @timestamp':<20}  {'last @timestamp':<20}  namespaces/containers\n")
    for r in rows:
        refused = f" ({r['refused']} refused)" if r["refused"] else ""
        out(f"{r['index']:<{width}}  {r['docs']:>7}  {_time(r['first_timestamp']):<20}  "
            f"{_time(r['last_timestamp']):<20}  {','.join(r['namespaces'])}/{','.join(r['containers'])}{refused}\n")
    days = sorted({d for r in rows for d in r["days"]})
    out(f"{len(rows)} indices, {sum(r['docs'] for r in rows)} documents"
        + (f", {days[0]} .. {days[-1]} ({len(days)} days)" if days else "") + f"; pattern {report['pattern']}\n")
    refused_names = [n for n in report["invalid_names"] if not n["accepted"]]
    if not report["invalid_names"]:
        out(f"index names: all {len(rows)} valid for OpenSearch\n")
    if refused_names:
        out("\ninvalid index names (OpenSearch refuses them; their documents are lost):\n")
        for n in refused_names:
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
                out(f"  {index}  {name}: mapped {c['mapped']}, {c['count']} refused, e.g. {c['examples']}: "
                    f"{reason}\n")
    if report["pattern_conflicts"]:
        out(f"\nfields with conflicting types across {report['pattern']} (Dashboards index pattern conflict):\n")
        for c in report["pattern_conflicts"]:
            out(f"  {c['field']}: "
                + "; ".join(f"{t} in {len(ix)} indices (e.g. {ix[0]})" for t, ix in c["types"].items()) + "\n")
    busiest = max(rows, key=lambda r: r["fields"], default=None)
    if busiest:
        out(f"\nmost fields: {busiest['index']} with {busiest['fields']} of {report['field_limit']} "
            "(index.mapping.total_fields.limit)\n")
    shards = report["shards"]
    out(f"\nshards at steady state ({shards['retention_days']:g} days retention):\n")
    for s in shards["strategies"]:
        verdict = "fits" if s["fits"] else f"OVER THE LIMIT: index creation fails from day {s['full_on_day']}"
        out(f"  {s['strategy']:<32} {s['indices_per_day']:>4} indices/day  {s['steady_shards']:>6} / {s['limit']} "
            f"shards  {verdict}\n")
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

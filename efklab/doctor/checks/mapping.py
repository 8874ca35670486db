"""Documents against the cluster: mapping conflicts, field counts, shards over the retention period.

Mappings are predicted by :mod:`efklab.opensearch.mappings` in bulk order (dynamic mapping: the first
document decides a field's type); shards by :mod:`efklab.opensearch.shards` (the cluster refuses to create
an index past ``cluster.max_shards_per_node`` x data nodes open shards).
"""
from __future__ import annotations

from efklab.doctor.findings import Finding, make_finding
from efklab.doctor.inputs import DoctorInputs
from efklab.lambda_.layout import strategy_counts
from efklab.opensearch.mappings import find_pattern_conflicts
from efklab.opensearch.shards import compare_strategies
from efklab.retention.policy import retention_days

FIELD_LIMIT_WARNING = 0.8  # share of index.mapping.total_fields.limit that is "near"
SHARDS_WARNING = 0.8  # share of the cluster's shard limit that is "near"
DEFAULT_RETENTION_DAYS = 30.0
_LIMIT = "Limit of total fields"


def check_mapping_conflicts(inputs: DoctorInputs) -> list[Finding]:
    """Documents a node refuses because a field was first mapped with another type in the same index."""
    facts = inputs.payloads
    if facts is None:
        return []
    rows = []
    refused = 0
    for mapping in facts.layout.mappings.indices.values():
        for name, conflict in mapping.conflicts().items():
            if conflict["mapped"] == "(limit)" or all(_LIMIT in r for r in conflict["reasons"]):
                continue
            refused += conflict["count"]
            reason = next(iter(conflict["reasons"]))
            rows.append(f"{mapping.index}: field {name} mapped as {conflict['mapped']}: "
                        f"{conflict['count']:,} document(s) refused, "
                        f"e.g. {', '.join(str(e) for e in conflict['examples'])}: {reason}")
    if not rows:
        return []
    return [make_finding(
        "mapping-conflict-index", "error", f"{refused:,} document(s) refused by mapping conflicts inside an index",
        evidence=rows, figures={"refused": refused},
        why="dynamic mapping types a field from the first document that has it; a later document with another type "
            "fails with mapper_parsing_exception, and the seed Lambda fails the whole invocation on one failed item",
        fix="map the field explicitly in an index template (e.g. as keyword or text), or move app fields under a "
            "per-app object so different apps cannot collide")]


def check_pattern_conflicts(inputs: DoctorInputs) -> list[Finding]:
    """Fields typed differently across the indices of one index pattern (a conflict in Dashboards)."""
    facts = inputs.payloads
    if facts is None:
        return []
    conflicts = find_pattern_conflicts(list(facts.layout.mappings.indices.values()), facts.pattern)
    if not conflicts:
        return []
    return [make_finding(
        "mapping-conflict-pattern", "warning", f"{len(conflicts)} field(s) with different types across {facts.pattern}",
        evidence=[f"{c.field}: " + "; ".join(f"{family} in {', '.join(indices[:3])}{' ...' if len(indices) > 3 else ''}"
                                             for family, indices in c.types.items()) for c in conflicts],
        figures={"fields": len(conflicts)},
        why="Dashboards marks the field as conflicting in the index pattern: it cannot be aggregated, sorted or "
            "filtered as a number or date across the pattern",
        fix="give the field one type in an index template for the whole pattern")]


def check_field_limit(inputs: DoctorInputs) -> list[Finding]:
    """Indices whose mapping reaches or nears ``index.mapping.total_fields.limit``."""
    facts = inputs.payloads
    if facts is None:
        return []
    limit = facts.layout.mappings.field_limit
    over = facts.layout.mappings.over_limit()
    near = [m for m in facts.layout.mappings.indices.values()
            if m not in over and m.field_count >= limit * FIELD_LIMIT_WARNING]
    if not over and not near:
        return []
    rows = sorted(over + near, key=lambda m: -m.field_count)
    refused = sum(1 for m in over for r in m.rejected if _LIMIT in r.reason)
    return [make_finding(
        "mapping-field-limit", "error" if over else "warning",
        f"{len(over)} index(es) over and {len(near)} near the limit of {limit:,} fields"
        + (f"; {refused:,} document(s) refused" if refused else ""),
        evidence=[f"{m.index}: {m.field_count:,} of {limit:,} fields" for m in rows],
        figures={"over": len(over), "near": len(near), "refused": refused, "limit": limit},
        why="a document that would add a field past the limit is refused ('Limit of total fields [1000] has been "
            "exceeded'); JSON logs with free-form keys (ids, URLs as keys) get there quickly",
        fix="stop indexing free-form keys as fields (flattened/object with enabled: false), "
            "or raise the limit knowingly")]


def check_shard_projection(inputs: DoctorInputs) -> list[Finding]:
    """Open shards at steady state over the retention period against the cluster's limit."""
    facts = inputs.payloads
    if facts is None:
        return []
    counts = strategy_counts(facts.layout, facts.records, prefix=inputs.settings.prefix)
    if not counts:
        return []
    days = None
    if inputs.policy is not None and inputs.policy.policy is not None:
        days = retention_days(inputs.policy.policy)
    days = DEFAULT_RETENTION_DAYS if days is None else days
    s, node = inputs.settings, inputs.node
    data_nodes = node.data_nodes if node else s.data_nodes
    per_node = node.max_shards_per_node if node else s.max_shards_per_node
    other = max(0, node.open_shards - node.pattern_shards) if node else 0
    projections = compare_strategies(counts, days, primaries=s.primaries, replicas=s.replicas, data_nodes=data_nodes,
                                     max_shards_per_node=per_node, other_shards=other)
    own = next(p for p in projections if p.strategy == "this strategy")
    if own.fits and own.utilisation < SHARDS_WARNING:
        return []
    if node:
        source = (f"{node.url}: {data_nodes} data node(s), cluster.max_shards_per_node {per_node}, "
                  f"{other:,} other shards open")
    else:
        source = (f"assumed {data_nodes} data node(s), max_shards_per_node {per_node} "
                  "(give --opensearch-url to read them)")
    return [make_finding(
        "shard-projection", "error" if not own.fits else "warning",
        f"{own.steady_shards:,} open shards at steady state "
        f"({own.indices_per_day} indices/day x {own.live_days} days x "
        f"{own.shards_per_index} shards) against a limit of {own.limit:,}"
        + (f": index creation fails from day {own.full_on_day}" if not own.fits else ""),
        evidence=[source, f"retention {days:g} days" + (" (from the policy)" if inputs.policy else " (default)")]
        + [f"{p.strategy}: {p.steady_shards:,} shards ({'fits' if p.fits else 'over the limit'})" for p in projections],
        figures=own.to_json(),
        why="OpenSearch refuses to create an index when the open shards would pass max_shards_per_node x data nodes; "
            "with daily indices per namespace and container that happens weeks after go-live, and new logs are lost",
        fix="use a coarser daily index (per namespace, or one per day with the namespace as a field), fewer primaries "
            "or replicas, or a shorter retention")]

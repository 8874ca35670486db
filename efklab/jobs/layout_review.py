"""Expected index layout vs the node, as tables: the review behind notebooks 01 and 04.

From the payloads a pipeline delivers: the indices the Lambda's naming creates (documents,
days, namespaces), names OpenSearch refuses, documents it will refuse (mapping conflicts),
the steady-state shard count of this and coarser strategies, and, after a replay, what the
node actually holds.  Everything is computed by ``layout``, ``shards`` and ``mappings``;
this module shapes it for people.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from efklab.adapters.opensearch import cat_indices, refresh
from efklab.cloudwatch.payloads import payload_from_json
from efklab.jobs.connect import Connected
from efklab.lambda_.indextemplate import MAPPED_FIELDS
from efklab.lambda_.layout import (
    ActualIndex,
    ExpectedLayout,
    LayoutDiff,
    daily_index_counts,
    diff_layout,
    expect_layout,
    parse_cat_indices,
)
from efklab.lambda_.transform import TransformOptions
from efklab.opensearch.bulk import ReplaySummary
from efklab.opensearch.shards import ShardProjection, compare_strategies
from efklab.units import format_time


@dataclass(frozen=True, slots=True)
class LayoutReview:
    """Expected layout, shard projections and (after a replay) the node's indices and the diff."""

    pattern: str
    expected: ExpectedLayout
    projections: tuple[ShardProjection, ...]
    actual: tuple[ActualIndex, ...] | None = None
    diff: LayoutDiff | None = None
    replay: ReplaySummary | None = None
    day_namespace: tuple[tuple[str, str, int], ...] = ()  # (UTC day of @timestamp, namespace, events)

    def indices_table(self) -> pd.DataFrame:
        """One row per expected index, with the node's count beside it when known."""
        on_node = {a.name: a.doc_count for a in self.actual or ()}
        rows = [{"index": i.name, "expected_docs": i.doc_count, "docs_on_node": on_node.get(i.name) if self.actual is not None else None,
                 "refused": i.refused, "first @timestamp": format_time(i.first_timestamp) if i.first_timestamp else None,
                 "last @timestamp": format_time(i.last_timestamp) if i.last_timestamp else None,
                 "namespaces": ", ".join(i.namespaces), "containers": ", ".join(i.containers)} for i in self.expected.indices]
        return pd.DataFrame(rows)

    def heatmap_counts(self) -> pd.DataFrame:
        """Events per UTC day and namespace (the input of ``plots.plot_doc_heatmap``)."""
        return pd.DataFrame(list(self.day_namespace), columns=["day", "namespace", "docs"])

    def invalid_names_table(self) -> pd.DataFrame:
        """Index names OpenSearch refuses, why, and how many events they would have held."""
        return pd.DataFrame([{"index": n.name, "reason": n.reason, "events": n.events} for n in self.expected.invalid_names],
                            columns=["index", "reason", "events"])

    def shards_table(self) -> pd.DataFrame:
        """Steady-state shards per strategy against the cluster's limit."""
        return pd.DataFrame([p.to_json() for p in self.projections]).set_index("strategy")

    def problems(self) -> list[str]:
        """What would lose or refuse documents, or break the cluster; empty when the layout is sound."""
        found = []
        if self.expected.invalid_names:
            found.append(f"{len(self.expected.invalid_names)} invalid index names")
        refused = sum(i.refused for i in self.expected.indices)
        if refused:
            found.append(f"{refused} documents the node will refuse (mapping conflicts)")
        own = next((p for p in self.projections if p.strategy == "this strategy"), None)
        if own is not None and not own.fits:
            found.append(f"{own.steady_shards} shards at steady state > limit {own.limit}")
        if self.diff is not None and not self.diff.clean:
            found.append("the node differs from the expected layout")
        return found

    def figures(self) -> dict[str, Any]:
        """The numbers behind the layout checks."""
        return {"indices": len(self.expected.indices), "documents": sum(i.doc_count for i in self.expected.indices),
                "invalid_names": len(self.expected.invalid_names), "refused": sum(i.refused for i in self.expected.indices),
                "missing_on_node": len(self.diff.missing) if self.diff else None,
                "unexpected_on_node": len(self.diff.unexpected) if self.diff else None,
                "count_mismatches": len(self.diff.count_mismatches) if self.diff else None}


def review_layout(payloads: Iterable[Mapping[str, Any]], *, prefix: str, mode: str = "opensearch", index_strategy: str = "seed",
                  tz: str = "UTC", primaries: int = 1, replicas: int = 1, data_nodes: int = 1, retention_days: float = 30.0,
                  max_shards_per_node: int = 1000, target: Connected | None = None, replay: ReplaySummary | None = None,
                  pattern: str | None = None) -> LayoutReview:
    """The expected layout of ``payloads``; with ``target`` (after a replay into ``pattern``) also the node's view."""
    from efklab.lambda_.indextemplate import pattern_for

    options = TransformOptions(mode=mode, index_strategy=index_strategy, prefix=prefix, tz=tz)
    payloads = list(payloads)
    records = [payload_from_json(p, source="pipeline", position=n) for n, p in enumerate(payloads, start=1)]
    explicit = {k: v["type"] for k, v in MAPPED_FIELDS.items()}
    layout = expect_layout(records, options, explicit_mappings=explicit)
    projections = compare_strategies(daily_index_counts(layout), retention_days, primaries=primaries, replicas=replicas,
                                     data_nodes=data_nodes, max_shards_per_node=max_shards_per_node)
    pattern = pattern or pattern_for(options)
    actual = diff = None
    if target is not None:
        refresh(target.client, target.conn, pattern)
        actual = tuple(parse_cat_indices(cat_indices(target.client, target.conn, pattern)))
        diff = diff_layout(layout, list(actual), pattern)
    return LayoutReview(pattern, layout, tuple(projections), actual, diff, replay, count_day_namespace(payloads))


def count_day_namespace(payloads: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, str, int], ...]:
    """Events per (UTC day of their timestamp, namespace from the Container Insights log group), sorted."""
    counts: Counter[tuple[str, str]] = Counter()
    for payload in payloads:
        parts = str(payload.get("logGroup", "")).split("/")
        namespace = parts[5] if len(parts) > 5 and parts[4] == "application" else str(payload.get("logGroup", ""))
        for event in payload.get("logEvents", []):
            day = dt.datetime.fromtimestamp(int(event["timestamp"]) / 1000, tz=dt.timezone.utc).strftime("%Y-%m-%d")
            counts[(day, namespace)] += 1
    return tuple((day, ns, n) for (day, ns), n in sorted(counts.items()))

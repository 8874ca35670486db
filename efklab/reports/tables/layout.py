"""Tables of an index layout (``jobs.layout.index_layout``): indices, documents per day, names, shards."""
from __future__ import annotations

from typing import Any

import pandas as pd

from efklab.jobs.layout import LayoutResult
from efklab.lambda_.layout import doc_counts
from efklab.units import format_time


def indices_table(result: LayoutResult) -> pd.DataFrame:
    """One row per expected index, with the node's count beside it when the node was asked."""
    on_node = {a.name: a.doc_count for a in result.actual or ()}
    rows = [{"index": i.name, "expected_docs": i.doc_count,
             "docs_on_node": on_node.get(i.name) if result.actual is not None else None, "refused": i.refused,
             "first @timestamp": format_time(i.first_timestamp) if i.first_timestamp else None,
             "last @timestamp": format_time(i.last_timestamp) if i.last_timestamp else None,
             "namespaces": ", ".join(i.namespaces), "containers": ", ".join(i.containers)}
            for i in result.expected.indices]
    return pd.DataFrame(rows)


def index_groups_table(result: LayoutResult) -> pd.DataFrame:
    """Expected indices grouped by namespace and container: how many, which days, documents expected and on the node.

    181 daily indices are unreadable as rows; each group sums its indices (``indices_table`` lists every one).
    """
    on_node = {a.name: a.doc_count for a in result.actual or ()}
    asked = result.actual is not None
    groups: dict[tuple[str, str], list[Any]] = {}
    for index in result.expected.indices:
        groups.setdefault((", ".join(index.namespaces), ", ".join(index.containers)), []).append(index)
    rows = []
    for (namespaces, containers), indices in sorted(groups.items()):
        days = sorted(day for index in indices for day in index.days)
        rows.append({"namespaces": namespaces, "containers": containers, "indices": len(indices),
                     "days": f"{days[0]} .. {days[-1]}" if days else "-",
                     "expected_docs": sum(i.doc_count for i in indices),
                     "docs_on_node": sum(on_node.get(i.name, 0) for i in indices) if asked else None,
                     "refused": sum(i.refused for i in indices)})
    return pd.DataFrame(rows, columns=["namespaces", "containers", "indices", "days", "expected_docs", "docs_on_node",
                                       "refused"])


def differences_table(result: LayoutResult) -> pd.DataFrame:
    """Indices the node holds differently from the expectation: missing, unexpected, or another document count."""
    diff = result.diff
    rows: list[dict[str, Any]] = []
    if diff is not None:
        rows += [{"index": name, "difference": "missing on the node", "expected_docs": None, "docs_on_node": None}
                 for name in diff.missing]
        rows += [{"index": name, "difference": "not expected", "expected_docs": None, "docs_on_node": None}
                 for name in diff.unexpected]
        rows += [{"index": name, "difference": "other count", "expected_docs": want, "docs_on_node": got}
                 for name, want, got in diff.count_mismatches]
    return pd.DataFrame(rows, columns=["index", "difference", "expected_docs", "docs_on_node"])


def doc_counts_table(result: LayoutResult) -> pd.DataFrame:
    """Documents per UTC day and namespace (the input of ``plots_layout.plot_doc_heatmap``)."""
    return pd.DataFrame(doc_counts(result.expected), columns=["day", "namespace", "docs"])


def invalid_names_table(result: LayoutResult) -> pd.DataFrame:
    """Index names OpenSearch refuses (or accepts although wrong), why, and how many events they would have held."""
    return pd.DataFrame([{"index": n.name, "reason": n.reason, "events": n.events}
                         for n in result.expected.invalid_names], columns=["index", "reason", "events"])


def shards_table(result: LayoutResult) -> pd.DataFrame:
    """Steady-state shards per strategy against the cluster's limit, indexed by strategy."""
    return pd.DataFrame([p.to_json() for p in result.projections]).set_index("strategy")

"""Tables of an index layout (``jobs.layout.index_layout``): indices, documents per day, names, shards."""
from __future__ import annotations

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

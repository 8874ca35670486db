"""Figures for notebooks and reports: index doc counts, shards over time (retention: ``plots_retention``).

Every function takes plain data (our result objects or DataFrames) and returns a matplotlib
``Figure`` built with the object API, so it works under the Agg backend (CI, papermill) and
never touches pyplot's global state.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

# matplotlib.dates carries no annotations: the types these plots rely on.
_date_number: Callable[[datetime], float] = mdates.date2num
_date_formatter: Callable[[str], Formatter] = mdates.DateFormatter


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def plot_doc_heatmap(counts: pd.DataFrame | Sequence[Mapping[str, object]], *,
                     title: str = "Documents per day and namespace") -> Figure:
    """Heat map of document counts: rows = namespaces, columns = days.

    ``counts`` has columns (or keys) ``day`` (YYYY-MM-DD), ``namespace`` and ``docs``, as
    ``efklab.lambda_.layout.doc_counts`` returns them.
    """
    if not isinstance(counts, pd.DataFrame):
        counts = pd.DataFrame(list(counts), columns=["day", "namespace", "docs"])
    figure = Figure(figsize=(max(6.0, 0.28 * counts["day"].nunique() + 3),
                             max(2.5, 0.4 * counts["namespace"].nunique() + 1.5)))
    axes = figure.subplots()
    if counts.empty:
        axes.text(0.5, 0.5, "no documents", ha="center", va="center")
        axes.set_axis_off()
        return figure
    table = counts.pivot_table(index="namespace", columns="day", values="docs", aggfunc="sum", fill_value=0)
    image = axes.imshow(np.log10(table.to_numpy() + 1), aspect="auto", cmap="viridis")
    axes.set_yticks(range(len(table.index)), labels=list(table.index))
    step = max(1, len(table.columns) // 15)
    axes.set_xticks(range(0, len(table.columns), step), labels=list(table.columns)[::step], rotation=60, ha="right")
    colorbar = figure.colorbar(image, ax=axes)
    colorbar.set_label("log10(docs + 1)")
    axes.set_title(title)
    figure.tight_layout()
    return figure


def plot_shards_over_time(series: Mapping[str, Sequence[tuple[int, int]]], limit: int, *,
                          title: str = "Open shards against cluster.max_shards_per_node") -> Figure:
    """Shard count over time per strategy (points of (ms, shards)) with the cluster limit."""
    figure = Figure(figsize=(9, 4))
    axes = figure.subplots()
    for name, points in series.items():
        if points:
            axes.plot([_utc(t) for t, _ in points], [s for _, s in points], label=name)  # type: ignore[arg-type]
    axes.axhline(limit, color="red", linestyle="--", label=f"limit {limit}")
    axes.set_ylabel("open shards")
    axes.xaxis.set_major_formatter(_date_formatter("%Y-%m-%d"))
    figure.autofmt_xdate()
    axes.legend(loc="upper left")
    axes.set_title(title)
    figure.tight_layout()
    return figure

"""Figures for notebooks and reports: shards over time (doc counts: ``plots_layout``; retention: ``plots_retention``).

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
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

# matplotlib.dates carries no annotations: the types these plots rely on.
_date_number: Callable[[datetime], float] = mdates.date2num
_date_formatter: Callable[[str], Formatter] = mdates.DateFormatter


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


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

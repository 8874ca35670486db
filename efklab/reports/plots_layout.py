"""The documents-per-day figure of an index layout (notebook 04), readable without a colour-scale lesson.

A log colour scale (``log10(docs + 1)``) makes a reader compute powers of ten; here each cell
carries its count, and the colours are a handful of named steps (none, 1-9, 10-99, ...).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg", force=False)
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

STEPS = (0, 1, 10, 100, 1_000, 10_000, 100_000)
_STEP_COLOURS = ("#f6f8fa", "#ddf4ff", "#80ccff", "#218bff", "#0550ae", "#0a3069")
MAX_DAYS_LABELLED = 45  # wider than this, cells are too narrow for numbers and the figure says so


def plot_doc_heatmap(counts: pd.DataFrame | Sequence[Mapping[str, object]], *,
                     title: str = "Documents per day and namespace") -> Figure:
    """Documents per (namespace, day), every day of the range (days without documents too), counts in the cells.

    ``counts`` has columns (or keys) ``day`` (YYYY-MM-DD), ``namespace`` and ``docs``, as
    ``efklab.lambda_.layout.doc_counts`` returns them.
    """
    if not isinstance(counts, pd.DataFrame):
        counts = pd.DataFrame(list(counts), columns=["day", "namespace", "docs"])
    if counts.empty:
        figure = Figure(figsize=(6, 2))
        axes = figure.subplots()
        axes.text(0.5, 0.5, "no documents", ha="center", va="center")
        axes.set_axis_off()
        return figure
    table = counts.pivot_table(index="namespace", columns="day", values="docs", aggfunc="sum", fill_value=0)
    every_day = pd.date_range(min(table.columns), max(table.columns), freq="D").strftime("%Y-%m-%d")
    table = table.reindex(columns=list(every_day), fill_value=0)
    days, rows = len(table.columns), len(table.index)
    figure = Figure(figsize=(min(13.5, max(6.0, 0.3 * days + 2.5)), max(2.4, 0.45 * rows + 1.9)))
    axes = figure.subplots()
    top = next((i for i, step in enumerate(STEPS) if step > table.to_numpy().max()), len(STEPS) - 1)
    bounds = [*STEPS[: top + 1]]
    colours = ListedColormap(list(_STEP_COLOURS[: len(bounds) - 1]))
    image = axes.imshow(table.to_numpy(), aspect="auto", cmap=colours, norm=BoundaryNorm(bounds, colours.N))
    if days <= MAX_DAYS_LABELLED:
        for (y, x), value in np.ndenumerate(table.to_numpy()):
            if value:
                dark = value >= 100
                axes.text(x, y, f"{value:,}", ha="center", va="center", fontsize=6 if value >= 1000 else 7,
                          color="white" if dark else "#1f2328", rotation=90 if value >= 1000 else 0)
    axes.set_yticks(range(rows), labels=list(table.index))
    step = max(1, days // 20)
    axes.set_xticks(range(0, days, step), labels=list(table.columns)[::step], rotation=60, ha="right", fontsize=8)
    centres = [(bounds[i] + bounds[i + 1]) / 2 for i in range(len(bounds) - 1)]
    colorbar = figure.colorbar(image, ax=axes, ticks=centres, fraction=0.03)
    colorbar.ax.set_yticklabels([_step_label(bounds, i) for i in range(len(bounds) - 1)], fontsize=8)
    colorbar.set_label("documents")
    total = int(table.to_numpy().sum())
    axes.set_title(f"{title}: {total:,} documents, {rows} namespaces, {days} days (UTC)", fontsize=10)
    figure.tight_layout()
    return figure


def _step_label(bounds: Sequence[int], n: int) -> str:
    low, high = bounds[n], bounds[n + 1] - 1
    return "none" if high == 0 else f"{low:,}" if low == high else f"{low:,}-{high:,}"

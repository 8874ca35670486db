"""Figures of the ordering check and of grouping, for notebooks and reports (tables: ``reports.tables.ordering``).

Figures are matplotlib ``Figure`` objects built with the object API (Agg-safe, no pyplot state),
like ``efklab.reports.plots``.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)
from matplotlib.figure import Figure

from efklab.ordering.check import OrderingCheck, View

_COLOURS = ("#cf222e", "#1a7f37", "#0969da", "#9a6700", "#8250df")


def group_sizes(provenance_rows: Iterable[Mapping[str, Any]]) -> list[int]:
    """Lines per event (document), from provenance rows (``id`` + ``sources``)."""
    return [len(row["sources"]) for row in provenance_rows if "id" in row]


def plot_group_sizes(sizes: Mapping[str, Sequence[int]], *,
                     title: str = "Lines per event, before and after grouping") -> Figure:
    """Histogram of lines per event for each grouping, side by side (log scale: single lines dominate)."""
    figure = Figure(figsize=(9, 3.8))
    axes = figure.subplots()
    top = max((max(v, default=1) for v in sizes.values()), default=1)
    width = 0.8 / max(1, len(sizes))
    for n, (label, values) in enumerate(sizes.items()):
        counts = Counter(values)
        xs = [size + (n - (len(sizes) - 1) / 2) * width for size in range(1, top + 1)]
        axes.bar(xs, [counts.get(size, 0) for size in range(1, top + 1)], width=width,
                 label=f"{label} ({len(values):,} events)", color=_COLOURS[n % len(_COLOURS)])
    axes.set_yscale("log")
    axes.set_xlabel("lines in the event")
    axes.set_ylabel("events")
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    return figure


def plot_order_scatter(views: Sequence[View], *, stream: str | None = None, title: str | None = None) -> Figure:
    """True position (file order) against displayed position (read oldest first) of one stream, one panel per view.

    A perfect display is the diagonal; points off it are lines shown out of place.  ``stream``
    defaults to the most disordered stream of the first view.
    """
    if stream is None and views:
        stream = max(views[0].report.streams, key=lambda s: (s.inversions, s.documents)).stream
    figure = Figure(figsize=(4.2 * max(1, len(views)), 4.2))
    panels = figure.subplots(1, max(1, len(views)), squeeze=False)[0]
    for axes, view in zip(panels, views, strict=False):  # one panel when there is no view
        placed = [p for p in view.report.placed if p.stream == stream]
        tied = Counter(p.timestamp_ms for p in placed)
        t = view.measurement.totals
        kinds = ((False, "#0969da", "own millisecond"), (True, "#cf222e", "shares its millisecond"))
        for is_tied, colour, label in kinds:
            points = [(p.true_rank, p.shown_rank) for p in placed if (tied[p.timestamp_ms] > 1) == is_tied]
            axes.scatter([x for x, _ in points], [y for _, y in points], s=9, color=colour, label=label)
        axes.plot([0, max(1, len(placed) - 1)], [0, max(1, len(placed) - 1)], color="#59636e", linewidth=0.6)
        axes.set_title(f"{view.measurement.grouping}\nsort {view.measurement.sort}", fontsize=9)
        axes.set_xlabel("position in the log file")
        own = next((s for s in view.report.streams if s.stream == stream), None)
        shown = f"{own.share_out_of_place:.1%}" if own else "-"
        axes.text(0.02, 0.97, f"this stream {shown} out of place; all streams {t['share_out_of_place']:.1%}",
                  transform=axes.transAxes, va="top", fontsize=8)
    panels[0].set_ylabel("position shown (oldest first)")
    panels[0].legend(loc="lower right", fontsize=8)
    figure.suptitle(title or f"Shown vs written order: {str(stream).rsplit('/', 1)[-1][:60]}", fontsize=10)
    figure.tight_layout()
    return figure


def plot_out_of_place(check: OrderingCheck, *, title: str = "Share of lines shown out of place, per view") -> Figure:
    """Bars per view: the symptom (Discover's default sort) and each cure, grouped by grouping."""
    figure = Figure(figsize=(9, 3.6))
    axes = figure.subplots()
    sorts = [v.measurement.sort.replace("@timestamp, ", "+ ").replace("@timestamp", "Discover default")
             for v in check.views]
    labels = [f"{v.measurement.grouping}\n{sort}" for v, sort in zip(check.views, sorts, strict=True)]
    values = [100 * float(v.measurement.totals["share_out_of_place"]) for v in check.views]
    groupings = list(dict.fromkeys(v.measurement.grouping for v in check.views))
    colours = [_COLOURS[groupings.index(v.measurement.grouping) % len(_COLOURS)] for v in check.views]
    bars = axes.bar(range(len(values)), values, color=colours)
    axes.bar_label(bars, labels=[f"{v:.1f}%" for v in values], fontsize=8)
    axes.set_xticks(range(len(values)), labels=labels, fontsize=7)
    axes.set_ylabel("% of lines out of place")
    axes.set_title(title)
    figure.tight_layout()
    return figure

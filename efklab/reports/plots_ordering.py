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
from efklab.reports.present import shorten

_COLOURS = ("#cf222e", "#1a7f37", "#0969da", "#9a6700", "#8250df")


def group_sizes(provenance_rows: Iterable[Mapping[str, Any]]) -> list[int]:
    """Lines per event (document), from provenance rows (``id`` + ``sources``)."""
    return [len(row["sources"]) for row in provenance_rows if "id" in row]


def plot_group_sizes(sizes: Mapping[str, Sequence[int]], *,
                     title: str = "Lines per event, before and after grouping") -> Figure:
    """Histogram of every event's line count per grouping, side by side (log scale: single lines dominate).

    The legend sits under the axes (labels can be long config paths) so it never covers a bar;
    paths in labels are shown relative to the checkout.
    """
    figure = Figure(figsize=(9, 3.6 + 0.3 * len(sizes)))
    axes = figure.subplots()
    top = max((max(v, default=1) for v in sizes.values()), default=1)
    width = 0.8 / max(1, len(sizes))
    for n, (label, values) in enumerate(sizes.items()):
        counts = Counter(values)
        xs = [size + (n - (len(sizes) - 1) / 2) * width for size in range(1, top + 1)]
        axes.bar(xs, [counts.get(size, 0) for size in range(1, top + 1)], width=width,
                 label=f"{_label(label)}: {len(values):,} events, {sum(values):,} lines",
                 color=_COLOURS[n % len(_COLOURS)])
    axes.set_yscale("log")
    axes.set_xlabel("lines in the event")
    axes.set_ylabel("events (log scale)")
    axes.set_title(title)
    if sizes:
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, fontsize=8)
    figure.tight_layout()
    return figure


def plot_displacement(views: Sequence[View], *, stream: str | None = None, title: str | None = None) -> Figure:
    """How far each line of one stream is shown from its place in the log file, one panel per view.

    Every line of the stream is a stroke at its position in the file, as long as the number of
    places it is shown too early (below 0) or too late (above 0); a view in order is a flat line at 0.
    A true-vs-shown scatter hides this (at thousands of lines, a swap within one millisecond is
    invisible on the diagonal).  ``stream`` defaults to the most disordered stream of the first view.
    """
    if stream is None and views:
        stream = max(views[0].report.streams, key=lambda s: (s.inversions, s.documents)).stream
    figure = Figure(figsize=(min(13.0, 4.3 * max(1, len(views))), 4.0))
    panels = figure.subplots(1, max(1, len(views)), squeeze=False, sharey=True)[0]
    for axes, view in zip(panels, views, strict=False):  # one panel when there is no view
        placed = sorted((p for p in view.report.placed if p.stream == stream), key=lambda p: p.true_rank)
        tied = Counter(p.timestamp_ms for p in placed)
        kinds = ((False, "#0969da", "own millisecond"), (True, "#cf222e", "shares its millisecond"))
        for is_tied, colour, label in kinds:
            points = [(p.true_rank, p.shown_rank - p.true_rank) for p in placed
                      if (tied[p.timestamp_ms] > 1) == is_tied]
            axes.vlines([x for x, _ in points], 0, [y for _, y in points], color=colour, linewidth=0.8)
            axes.scatter([x for x, _ in points], [y for _, y in points], s=6, color=colour, label=label)
        axes.axhline(0, color="#59636e", linewidth=0.6)
        axes.set_title(f"{view.measurement.grouping}\nsort {view.measurement.sort}", fontsize=9)
        axes.set_xlabel("position in the log file")
        own = next((s for s in view.report.streams if s.stream == stream), None)
        shown = f"{own.share_out_of_place:.1%}" if own else "-"
        total = view.measurement.totals["share_out_of_place"]
        axes.text(0.02, 0.97, f"{len(placed):,} documents; {shown} out of place\n(all streams: {total:.1%})",
                  transform=axes.transAxes, va="top", fontsize=8)
    panels[0].set_ylabel("places shown too late (+) / early (-)")
    panels[0].legend(loc="lower right", fontsize=8)
    name = str(stream).rsplit("/", 1)[-1]
    figure.suptitle(title or f"Every document of one stream, shown vs written order: {_label(name, 70)}",
                    fontsize=10)
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


def _label(text: str, width: int = 110) -> str:
    """A legend or title label: paths relative to the checkout, container ids short, cut to ``width`` at the end."""
    short = shorten(str(text))
    return short if len(short) <= width else short[: width - 1] + "…"

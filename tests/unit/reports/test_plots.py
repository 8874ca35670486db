"""Figures render headless from plain data and show what they claim."""
from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure

from efklab.opensearch.shards import count_shards_over_time
from efklab.reports.plots import plot_doc_heatmap, plot_shards_over_time
from efklab.units import DAY_MS


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_heatmap_has_one_row_per_namespace_and_one_column_per_day() -> None:
    """Rows are namespaces, columns days; the figure saves as PNG."""
    counts = pd.DataFrame({"day": ["2021-06-01", "2021-06-02", "2021-06-01"], "namespace": ["app", "app", "web"],
                           "docs": [5, 7, 1]})
    figure = plot_doc_heatmap(counts)
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["app", "web"]
    assert len(axes.images[0].get_array()[0]) == 2
    assert _png(figure).startswith(b"\x89PNG")


def test_shard_plot_shows_the_limit() -> None:
    """One line per strategy plus the limit line."""
    points = count_shards_over_time([(0, None)], 2, start=0, end=3 * DAY_MS)
    figure = plot_shards_over_time({"seed": points, "cwl": points}, 1000)
    assert len(figure.axes[0].lines) == 3
    assert _png(figure).startswith(b"\x89PNG")


def test_empty_inputs_still_render() -> None:
    """No data gives a labelled empty figure, not an exception."""
    assert _png(plot_doc_heatmap(pd.DataFrame(columns=["day", "namespace", "docs"])))

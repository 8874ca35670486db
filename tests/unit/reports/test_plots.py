"""Figures render headless from plain data and show what they claim."""
from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure

from efklab.opensearch.shards import count_shards_over_time
from efklab.reports.plots import plot_doc_heatmap, plot_retention_timeline, plot_shards_over_time
from efklab.retention.forecast import plan_generations
from efklab.retention.policy import load_policy
from efklab.retention.schedule import JobSettings
from efklab.units import DAY_MS, parse_time
from tests.conftest import ROOT

SEED = load_policy((ROOT / "data" / "samples" / "ism-policy.json").read_bytes())


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


def test_retention_timeline_draws_a_creation_bar_and_a_deletion_window_per_index() -> None:
    """Two managed generations: two blue/orange bars and two red windows, plus a 'now' line."""
    june1 = parse_time("2021-06-01")
    gens = plan_generations("mydata-a-b-2021.06.01", [june1, june1 + 31 * DAY_MS], [SEED], JobSettings())
    figure = plot_retention_timeline(gens, now=june1 + 20 * DAY_MS)
    axes = figure.axes[0]
    assert len(axes.patches) == 4 and len(axes.lines) == 1
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
    assert _png(plot_retention_timeline([]))

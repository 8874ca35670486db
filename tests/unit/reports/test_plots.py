"""Figures render headless from plain data and show what they claim."""
from __future__ import annotations

import io

from matplotlib.figure import Figure

from efklab.opensearch.shards import count_shards_over_time
from efklab.reports.plots import plot_shards_over_time
from efklab.units import DAY_MS


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_shard_plot_shows_the_limit() -> None:
    """One line per strategy plus the limit line."""
    points = count_shards_over_time([(0, None)], 2, start=0, end=3 * DAY_MS)
    figure = plot_shards_over_time({"seed": points, "cwl": points}, 1000)
    assert len(figure.axes[0].lines) == 3
    assert _png(figure).startswith(b"\x89PNG")

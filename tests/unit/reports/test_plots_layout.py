"""The documents-per-day figure: counts in the cells, named colour steps, every day of the range."""
from __future__ import annotations

import pandas as pd

from efklab.reports.plots_layout import plot_doc_heatmap


def test_every_day_of_the_range_is_a_column_and_cells_show_their_counts() -> None:
    """A day without documents is still drawn (as 'none'); counts are written in the cells, no log10 scale."""
    counts = pd.DataFrame({"day": ["2021-06-01", "2021-06-03", "2021-06-01"], "namespace": ["app", "app", "web"],
                           "docs": [5, 1234, 1]})
    figure = plot_doc_heatmap(counts)
    axes, colourbar = figure.axes
    assert [t.get_text() for t in axes.get_yticklabels()] == ["app", "web"]
    assert axes.images[0].get_array().shape == (2, 3)
    assert sorted(t.get_text() for t in axes.texts) == ["1", "1,234", "5"]
    assert "log" not in colourbar.get_ylabel()
    assert [t.get_text() for t in colourbar.get_yticklabels()] == ["none", "1-9", "10-99", "100-999", "1,000-9,999"]
    assert "1,240 documents" in axes.get_title()


def test_no_documents_is_said_not_drawn() -> None:
    """An empty layout gives a labelled figure, not an exception."""
    figure = plot_doc_heatmap(pd.DataFrame(columns=["day", "namespace", "docs"]))
    assert figure.axes[0].texts[0].get_text() == "no documents"

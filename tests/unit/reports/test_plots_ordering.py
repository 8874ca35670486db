"""Tables and figures of the ordering check, built from measured views without a node."""
from __future__ import annotations

from matplotlib.figure import Figure

from efklab.ordering.check import View, check_ordering
from efklab.ordering.diagnosis import Measurement
from efklab.ordering.measure import Shown, SourceRef, measure_order
from efklab.reports.plots_ordering import plot_displacement, plot_group_sizes, plot_out_of_place
from efklab.reports.tables.ordering import (
    before_after_table,
    causes_table,
    group_size_table,
    streams_table,
    views_table,
)

FILE = "containers/app.log"
TEXTS = ["(I) a", "(E) boom", "\tat x.y(Z.java:1)", "\tat x.y(Z.java:2)", "(I) b"]


def view(grouping: str, tiebreaker: tuple[str, ...], order: list[int], groups: list[list[int]],
         stamps: list[int]) -> View:
    provenance = {str(i): tuple(SourceRef(FILE, n) for n in lines) for i, lines in enumerate(groups)}
    shown = [Shown(str(i), stamps[i], shard=i % 2, text=TEXTS[groups[i][0] - 1]) for i in order]
    report = measure_order(shown, provenance, tiebreaker=tiebreaker)
    return View(Measurement.of(grouping, tiebreaker, report, primaries=2), report, f"{grouping}-*")


def story_check():  # type: ignore[no-untyped-def]
    single = [[1], [2], [3], [4], [5]]
    views = [
        view("aws", (), [4, 1, 2, 3, 0], single, [1, 2, 2, 2, 3]),
        view("aws", ("@id",), [4, 3, 2, 1, 0], single, [1, 2, 2, 2, 3]),
        view("seed", (), [2, 1, 0], [[1], [2, 3, 4], [5]], [1, 3, 4]),
        view("seed", ("@id",), [2, 1, 0], [[1], [2, 3, 4], [5]], [1, 3, 4]),
    ]
    return check_ordering(views, current="aws", candidate="seed")


def test_tables_hold_one_row_per_view_cause_and_stream() -> None:
    """Views indexed by grouping and sort; causes with evidence; streams sorted by disorder; before/after columns."""
    check = story_check()
    table = views_table(check)
    assert list(table.index) == [("aws", "@timestamp"), ("aws", "@timestamp, @id"), ("seed", "@timestamp"),
                                 ("seed", "@timestamp, @id")]
    assert (table.loc[("aws", "@timestamp"), "share_out_of_place"] > 0
            == table.loc[("aws", "@timestamp, @id"), "inversions"])
    assert "continuation" in causes_table(check)["cause"].iloc[0]
    assert list(before_after_table(check.recommendation).columns) == ["before", "after"]
    assert streams_table(check.views[0]).iloc[0]["stream"] == "app.log"


def test_group_size_table_counts_events_lines_and_multi_line_events() -> None:
    """Lines per event summarised per grouping."""
    table = group_size_table({"aws": [1, 1, 1, 1, 1], "seed": [1, 3, 1]})
    assert table.loc["seed"].to_dict() == {"events": 3, "lines": 5, "mean_lines_per_event": 1.67,
                                           "max_lines_per_event": 3, "multi_line_events": 1}


def test_figures_are_built_for_every_plot() -> None:
    """Each plot returns a matplotlib Figure with one panel per view where it applies."""
    check = story_check()
    panels = plot_displacement(list(check.views[:3]))
    assert isinstance(panels, Figure) and len(panels.axes) == 3
    assert isinstance(plot_out_of_place(check), Figure)
    assert isinstance(plot_group_sizes({"aws": [1] * 5, "seed": [1, 3, 1]}), Figure)


def test_displacement_shows_how_far_each_line_is_from_its_place() -> None:
    """Discover's default view swaps the tied lines 2 and 4 (strokes of +2 and -2); @id puts every line at 0.

    (The true-vs-shown scatter it replaces drew both views as a near-diagonal.)"""
    check = story_check()
    figure = plot_displacement([check.views[0], check.views[1]])
    shuffled, in_order = ([y for c in axes.collections[1::2] for (_, y) in c.get_offsets()] for axes in figure.axes)
    assert sorted(shuffled) == [-2, 0, 0, 0, 2]
    assert all(y == 0 for y in in_order)


def test_group_size_legend_sits_below_the_bars_with_short_labels() -> None:
    """Long config paths neither cover the bars nor leak the machine's absolute paths."""
    from efklab.reports.present import CHECKOUT

    label = f"{CHECKOUT}/data/samples/fluentd-aws-sample.yaml"
    figure = plot_group_sizes({label: [1, 1, 2], "seed": [1, 3]})
    legend = figure.axes[0].get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[0].startswith("data/samples/fluentd-aws-sample.yaml: 3 events")
    assert legend.get_bbox_to_anchor().y0 < figure.axes[0].get_window_extent().y0

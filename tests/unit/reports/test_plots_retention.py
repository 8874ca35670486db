"""The retention timeline draws every index, visible deletion windows, and an 'as of' line with its date."""
from __future__ import annotations

import io

from matplotlib.figure import Figure

from efklab.reports.plots_retention import plot_retention_timeline
from efklab.retention.forecast import plan_generations
from efklab.retention.policy import load_policy
from efklab.retention.schedule import JobSettings
from efklab.units import DAY_MS, parse_time
from tests.conftest import ROOT

SEED = load_policy((ROOT / "data" / "samples" / "ism-policy.json").read_bytes())
JUNE1 = parse_time("2021-06-01")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_few_indices_get_one_bar_each_with_a_deletion_window_and_a_dated_at_line() -> None:
    """Two generations: two life bars, two windows; the line is labelled with its date, not 'now'."""
    gens = plan_generations("mydata-a-b-2021.06.01", [JUNE1, JUNE1 + 31 * DAY_MS], [SEED], JobSettings())
    figure = plot_retention_timeline(gens, at=JUNE1 + 20 * DAY_MS)
    axes = figure.axes[0]
    assert len(axes.patches) == 4 and len(axes.lines) == 1
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "as of 2021-06-21T00:00:00Z" in labels and not any(label == "now" for label in labels)
    assert any(label.startswith("deletion window (") for label in labels)
    assert _png(figure).startswith(b"\x89PNG")


def test_deletion_windows_are_drawn_wide_enough_to_see_on_a_long_axis() -> None:
    """A window of minutes on a 60-day axis is drawn at least 0.6 % of the axis wide."""
    gens = plan_generations("mydata-a-b-2021.06.01", [JUNE1], [SEED], JobSettings())
    gens += plan_generations("mydata-a-b-2021.07.30", [JUNE1 + 30 * DAY_MS], [SEED], JobSettings())
    axes = plot_retention_timeline(gens).axes[0]
    windows = [p for p in axes.patches if p.get_facecolor()[0] > 0.8]  # the red ones
    span = axes.get_xlim()[1] - axes.get_xlim()[0]
    assert windows and min(p.get_width() for p in windows) >= 0.005 * span


def test_many_indices_are_all_drawn_aggregated_per_creation_day_and_the_title_says_so() -> None:
    """181 indices over 40 days: every one counted in 40 day bars; nothing is cut off."""
    gens = [g for d in range(40) for n in range(5 if d else 6)
            for g in plan_generations(f"mydata-n{n}-a-2021.06.{d % 28 + 1:02d}", [JUNE1 + d * DAY_MS + n], [SEED],
                                      JobSettings())]
    assert len(gens) == 201
    axes = plot_retention_timeline(gens, at=JUNE1 + 35 * DAY_MS).axes[0]
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert len(labels) == 40 and sum(int(label.split(": ")[1].split()[0]) for label in labels) == 201
    assert "201 indices aggregated into 40 bars" in axes.get_title()


def test_no_indices_still_render() -> None:
    assert _png(plot_retention_timeline([]))

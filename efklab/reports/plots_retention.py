"""The retention timeline: every index generation from creation to its deletion window, as of a moment.

Every generation is drawn: one bar each up to ``max_rows``, beyond that one bar per creation
day and outcome (the title says how many indices the bars aggregate).  A deletion window is
minutes wide on an axis of weeks, so it is drawn at least ``min_window`` of the axis wide and
marked, and the legend gives its real width.  The ``at`` line carries its date.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter

from efklab.retention.forecast import Generation, group_by_creation_day
from efklab.units import format_duration, format_time

_date_number: Callable[[datetime], float] = mdates.date2num
_date_formatter: Callable[[str], Formatter] = mdates.DateFormatter
_LIVES, _AGAIN, _WINDOW, _NEVER = "tab:blue", "tab:orange", "tab:red", "tab:gray"


@dataclass(frozen=True, slots=True)
class _Row:
    label: str
    created: int
    deletion: tuple[int, int] | None
    recreated: bool


def _utc(ms: int) -> float:
    return _date_number(datetime.fromtimestamp(ms / 1000, tz=UTC))


def _rows(generations: Sequence[Generation], max_rows: int) -> tuple[list[_Row], str]:
    """One row per generation, or per creation day and outcome when there are more than ``max_rows``."""
    if len(generations) <= max_rows:
        ordered = sorted(generations, key=lambda g: (g.forecast.created, g.forecast.index))
        return [_Row(g.forecast.index + (f" (#{g.generation})" if g.generation > 1 else ""), g.forecast.created,
                     g.forecast.deletion, g.generation > 1) for g in ordered], f"{len(ordered)} indices, one bar each"
    groups = group_by_creation_day(generations)
    rows = [_Row(f"{format_time(g.day)[:10]}: {len(g.generations)} {'recreated ' if g.recreated else ''}indices, "
                 f"{g.docs:,} docs", g.created[0], g.deletion, g.recreated) for g in groups]
    return rows, (f"{len(generations)} indices aggregated into {len(rows)} bars: one per creation day and outcome "
                  "(the window spans the day's indices)")


def plot_retention_timeline(generations: Sequence[Generation], *, at: int | None = None, max_rows: int = 40,
                            min_window: float = 0.006,
                            title: str = "Index lifetimes under the ISM policy (forecast)") -> Figure:
    """Bars from creation to the deletion window (red), grey to the right edge when never deleted."""
    rows, caption = _rows(generations, max_rows)
    figure = Figure(figsize=(11, max(2.8, 0.24 * len(rows) + 2.0)))
    axes = figure.subplots()
    if not rows:
        axes.text(0.5, 0.5, "no indices", ha="center", va="center")
        axes.set_axis_off()
        return figure
    times = [r.created for r in rows] + [r.deletion[1] for r in rows if r.deletion] + ([at] if at else [])
    left, right = _utc(min(times)), _utc(max(times))
    span = max(right - left, 1.0)
    right += 0.03 * span
    widths = [r.deletion[1] - r.deletion[0] for r in rows if r.deletion]
    for y, row in enumerate(rows):
        start = _utc(row.created)
        if row.deletion is None:
            axes.barh(y, right - start, left=start, color=_NEVER, alpha=0.6)
            continue
        early, late = _utc(row.deletion[0]), _utc(row.deletion[1])
        axes.barh(y, early - start, left=start, color=_AGAIN if row.recreated else _LIVES)
        shown = max(late - early, min_window * span)
        axes.barh(y, shown, left=early, color=_WINDOW)
    handles = [Patch(color=_LIVES, label="lives (created -> deletion window)"),
               Patch(color=_AGAIN, label="recreated by late events"),
               Patch(color=_NEVER, alpha=0.6, label="never deleted")]
    if widths:
        real = (f"{format_duration(min(widths))}" if min(widths) == max(widths)
                else f"{format_duration(min(widths))} to {format_duration(max(widths))}")
        handles.append(Patch(color=_WINDOW, label=f"deletion window ({real} wide; drawn wider to be seen)"))
    if at is not None:
        line = axes.axvline(_utc(at), color="black", linestyle="--", label=f"as of {format_time(at)}")
        handles.append(line)  # type: ignore[arg-type]  # a Line2D is a legend handle too
    figure.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    axes.set_yticks(range(len(rows)), labels=[r.label for r in rows], fontsize=7)
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_xlim(left - 0.01 * span, right)
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(_date_formatter("%Y-%m-%d"))
    for tick in axes.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")
    axes.set_title(f"{title}\n{caption}", fontsize=10)
    figure.tight_layout(rect=(0.0, 0.55 / figure.get_figheight(), 1.0, 1.0))  # room for the legend below
    return figure

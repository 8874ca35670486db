"""Tables of the ordering check (notebook 03): views, causes, the fix before and after, streams, group sizes."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from efklab.ordering.check import OrderingCheck, View
from efklab.ordering.diagnosis import HEADLINE, Recommendation


def views_table(check: OrderingCheck) -> pd.DataFrame:
    """One row per view (grouping x sort) with the headline figures."""
    rows = [{"grouping": v.measurement.grouping, "sort": v.measurement.sort, "primaries": v.measurement.primaries,
             **{k: v.measurement.totals[k] for k in HEADLINE}} for v in check.views]
    return pd.DataFrame(rows).set_index(["grouping", "sort"])


def before_after_table(recommendation: Recommendation) -> pd.DataFrame:
    """The headline figures before the fix and after it (after is empty when the fix was not measured)."""
    after = recommendation.after or {}
    return pd.DataFrame({"before": recommendation.before, "after": {k: after.get(k) for k in recommendation.before}})


def causes_table(check: OrderingCheck) -> pd.DataFrame:
    """The causes found, their evidence and cure."""
    rows = [{"cause": c.title, "evidence": ", ".join(f"{k}={v}" for k, v in c.evidence.items() if v is not None),
             "cure": c.cure} for c in check.causes]
    return pd.DataFrame(rows, columns=["cause", "evidence", "cure"])


def streams_table(view: View, top: int = 10) -> pd.DataFrame:
    """The most disordered streams of a view."""
    rows = [{"stream": s.stream.rsplit("/", 1)[-1], "documents": s.documents, "lines": s.lines,
             "inversions": s.inversions, "kendall_tau_distance": round(s.kendall_tau_distance, 4),
             "share_out_of_place": round(s.share_out_of_place, 4), "tie_groups": s.tie_groups,
             "largest_tie": s.largest_tie} for s in view.report.streams]
    table = pd.DataFrame(rows, columns=["stream", "documents", "lines", "inversions", "kendall_tau_distance",
                                        "share_out_of_place", "tie_groups", "largest_tie"])
    return table.sort_values(["share_out_of_place", "inversions"], ascending=False).head(top).reset_index(drop=True)


def group_size_table(sizes: Mapping[str, Sequence[int]]) -> pd.DataFrame:
    """Per grouping: events, lines, lines per event (mean, max), events of more than one line."""
    rows = []
    for label, values in sizes.items():
        rows.append({"grouping": label, "events": len(values), "lines": sum(values),
                     "mean_lines_per_event": round(sum(values) / len(values), 2) if values else 0.0,
                     "max_lines_per_event": max(values, default=0),
                     "multi_line_events": sum(1 for v in values if v > 1)})
    return pd.DataFrame(rows).set_index("grouping")

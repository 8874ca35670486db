"""Tables of a regex review (notebook 02): both groupings side by side, the diff's counts, changed clusters."""
from __future__ import annotations

import pandas as pd

from efklab.jobs.multiline import RegexReview


def summary_table(review: RegexReview) -> pd.DataFrame:
    """Side by side: events, lines per event, lone continuation lines, lines lost."""
    rows = {}
    for side, g in (("old", review.old), ("new", review.new)):
        rows[side] = {"rule": g.origin, "events": len(g.sizes), "lines": sum(g.sizes),
                      "multi_line_events": sum(1 for s in g.sizes if s > 1), "largest_event": max(g.sizes, default=0),
                      "lone_continuation_lines": g.lone_continuations, "lines_lost": g.lost_lines,
                      **{f"route_{k}": v for k, v in sorted(g.routes.items())}}
    return pd.DataFrame(rows)


def changes_table(review: RegexReview) -> pd.DataFrame:
    """The diff's counts (regrouped lines, splits, merges, start-regexp match changes)."""
    r = review.report
    start = r.get("start_regexp") or {}
    rows = {"lines": r["lines"], "lines_regrouped": r["lines_regrouped"], "groups_split": r["groups_split"],
            "groups_merged": r["groups_merged"], "events_changed": r["events_changed"],
            "lines that stopped matching the start regexp": start.get("stopped_matching", 0),
            "lines that started matching the start regexp": start.get("started_matching", 0)}
    return pd.DataFrame({"value": rows})


def clusters_table(review: RegexReview, width: int = 160) -> pd.DataFrame:
    """The first changed clusters: the old events and the new events of the same lines."""
    rows = []
    for n, cluster in enumerate(review.clusters, start=1):
        for side in ("old", "new"):
            for event in cluster.get(side, []):
                text = str(event["text"]).replace("\n", "⏎")
                rows.append({"cluster": n, "rule": side, "source lines": event["lines"], "lines": event["count"],
                             "route": event["route"],
                             "text": text if len(text) <= width else text[: width - 3] + "..."})
    return pd.DataFrame(rows, columns=["cluster", "rule", "source lines", "lines", "route", "text"])


def lone_examples_table(review: RegexReview) -> pd.DataFrame:
    """A few continuation lines each rule indexes as events of their own."""
    return pd.DataFrame({"old rule": pd.Series(review.old.examples, dtype=str),
                         "new rule": pd.Series(review.new.examples, dtype=str)})

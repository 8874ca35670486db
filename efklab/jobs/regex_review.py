"""What a ``multiline_start_regexp`` change does to real lines: the review behind notebook 02.

Both rules (a ``/regexp/``, a config file, or ``FILE@GITREV``, as ``efklab multiline diff``
takes them) group the same container logs; the result holds the grouping diff, lines per
event under each rule, the continuation lines each rule leaves alone (the seed's symptom),
and the lines each rule sends to a route production loses (``@ERROR``, dropped).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from efklab.jobs.defaults import AWS_SAMPLE_CONFIG, SEED_CONFIG
from efklab.multiline.grouping import diff_rules, group_records, read_log_records
from efklab.multiline.rulespec import RuleChoice, resolve_spec
from efklab.ordering.measure import CONTINUATION

LOST_ROUTES = ("error", "dropped")  # events production never sees (no @ERROR handler / buffer overflow)


@dataclass(frozen=True, slots=True)
class Grouping:
    """One rule's grouping of the logs, folded to what the review shows."""

    origin: str
    sizes: tuple[int, ...]  # lines per event, in emission order
    lone_continuations: int  # events of one line that continues a statement
    routes: dict[str, int]  # events per route (main, timeout, error, dropped)
    lost_lines: int  # lines in events on a lost route
    examples: tuple[str, ...]  # a few lone continuation lines


@dataclass(frozen=True, slots=True)
class RegexReview:
    """The grouping diff of two rules over the same logs, and each rule's grouping."""

    report: dict[str, Any]
    clusters: list[dict[str, Any]]
    old: Grouping
    new: Grouping

    def summary_table(self) -> pd.DataFrame:
        """Side by side: events, lines per event, lone continuation lines, lines lost."""
        rows = {}
        for side, g in (("old", self.old), ("new", self.new)):
            rows[side] = {"rule": g.origin, "events": len(g.sizes), "lines": sum(g.sizes),
                          "multi_line_events": sum(1 for s in g.sizes if s > 1), "largest_event": max(g.sizes, default=0),
                          "lone_continuation_lines": g.lone_continuations, "lines_lost": g.lost_lines,
                          **{f"route_{k}": v for k, v in sorted(g.routes.items())}}
        return pd.DataFrame(rows)

    def changes_table(self) -> pd.DataFrame:
        """The diff's counts (regrouped lines, splits, merges, start-regexp match changes)."""
        r = self.report
        start = r.get("start_regexp") or {}
        rows = {"lines": r["lines"], "lines_regrouped": r["lines_regrouped"], "groups_split": r["groups_split"],
                "groups_merged": r["groups_merged"], "events_changed": r["events_changed"],
                "lines that stopped matching the start regexp": start.get("stopped_matching", 0),
                "lines that started matching the start regexp": start.get("started_matching", 0)}
        return pd.DataFrame({"value": rows})

    def clusters_table(self, width: int = 160) -> pd.DataFrame:
        """The first changed clusters: the old events and the new events of the same lines."""
        rows = []
        for n, cluster in enumerate(self.clusters, start=1):
            for side in ("old", "new"):
                for event in cluster.get(side, []):
                    text = str(event["text"]).replace("\n", "⏎")
                    rows.append({"cluster": n, "rule": side, "source lines": event["lines"], "lines": event["count"],
                                 "route": event["route"], "text": text if len(text) <= width else text[: width - 3] + "..."})
        return pd.DataFrame(rows, columns=["cluster", "rule", "source lines", "lines", "route", "text"])

    def lone_examples_table(self) -> pd.DataFrame:
        """A few continuation lines each rule indexes as events of their own."""
        return pd.DataFrame({"old rule": pd.Series(self.old.examples, dtype=str), "new rule": pd.Series(self.new.examples, dtype=str)})

    def sizes(self) -> dict[str, list[int]]:
        """Lines per event under each rule, keyed by rule origin (for the histogram)."""
        return {f"old: {self.old.origin}": list(self.old.sizes), f"new: {self.new.origin}": list(self.new.sizes)}


def review_regex(logs: Sequence[str], *, old: str = "", new: str = "", flush_timeouts: str = "event-time",
                 examples: int = 3) -> RegexReview:
    """Group ``logs`` under both rules; empty ``old``/``new`` mean the AWS sample and the seed's config."""
    files = list(logs)
    old_choice = resolve_spec(old or str(AWS_SAMPLE_CONFIG), params={}, choose=None, log_file=files[0], which="--old")
    new_choice = resolve_spec(new or str(SEED_CONFIG), params={}, choose=None, log_file=files[0], which="--new")
    tag = old_choice.tag_pattern or new_choice.tag_pattern

    def streams() -> Iterator[Iterator[Any]]:
        for path in files:
            yield read_log_records(path, tag_pattern=tag)

    diff, shown = diff_rules(old_choice.rule, new_choice.rule, streams, flush_timeouts=flush_timeouts, clusters=examples)
    return RegexReview(diff.report, shown, _fold(old_choice, streams, flush_timeouts), _fold(new_choice, streams, flush_timeouts))


def _fold(choice: RuleChoice, streams: Any, flush_timeouts: str) -> Grouping:
    sizes: list[int] = []
    routes: Counter[str] = Counter()
    lone = lost = 0
    examples: list[str] = []
    key = choice.rule.key
    for event in group_records(choice.rule, streams(), flush_timeouts=flush_timeouts):
        sizes.append(len(event.lines))
        routes[event.route] += 1
        lost += len(event.lines) if event.route in LOST_ROUTES else 0
        text = event.record.get(key)
        if len(event.lines) == 1 and isinstance(text, str) and CONTINUATION.match(text):
            lone += 1
            if len(examples) < 5:
                examples.append(text.rstrip("\n"))
    return Grouping(choice.origin, tuple(sizes), lone, dict(routes), lost, tuple(examples))

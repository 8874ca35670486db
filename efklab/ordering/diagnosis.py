"""Why lines show out of order, and the fix the measurements support.

Input: the same log lines measured in several views (a grouping, i.e. the regex they were
replayed with, times a sort tiebreaker).  Output: the causes found in the Discover view
(``@timestamp`` only) with the figures behind each, and a recommendation (regex, tiebreaker,
both, none) with before/after numbers.  Pure.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from efklab.ordering.measure import OrderReport

# The figures a before/after comparison shows.
HEADLINE = (
    "documents",
    "lines",
    "inversions",
    "kendall_tau_distance",
    "share_out_of_place",
    "tie_groups",
    "documents_in_ties",
    "split_continuations",
)


@dataclass(frozen=True, slots=True)
class Measurement:
    """One view of the lines: replayed with ``grouping`` (a regex label), sorted with ``tiebreaker``."""

    grouping: str
    tiebreaker: tuple[str, ...]
    totals: Mapping[str, Any]
    primaries: int | None = None  # primary shards of the queried indices (largest), when known

    @classmethod
    def of(cls, grouping: str, tiebreaker: Sequence[str], report: OrderReport,
           primaries: int | None = None) -> Measurement:
        """A measurement from an order report."""
        return cls(grouping, tuple(tiebreaker), report.totals(), primaries)

    @property
    def sort(self) -> str:
        """``@timestamp desc, @id desc`` style description of the view."""
        return ", ".join(["@timestamp", *self.tiebreaker])

    def headline(self) -> dict[str, Any]:
        """The figures shown in before/after tables."""
        return {key: self.totals.get(key) for key in HEADLINE}


@dataclass(frozen=True, slots=True)
class Cause:
    """One reason lines are out of order, with the figures that show it and what cures it."""

    code: str
    title: str
    evidence: dict[str, Any]
    cure: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The fix (none, regex, tiebreaker, both), the view it leads to, and the numbers before and after."""

    fix: str
    grouping: str
    tiebreaker: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any] | None
    steps: tuple[str, ...]
    views: tuple[dict[str, Any], ...] = field(default=())


def detect_causes(view: Measurement, *, truncated_tie_groups: int | None = None) -> list[Cause]:
    """Causes visible in a view sorted by ``@timestamp`` alone (Discover's default)."""
    t = view.totals
    causes: list[Cause] = []
    if t["split_continuations"]:
        causes.append(Cause(
            "continuation-split",
            "continuation lines indexed as separate documents with the same millisecond",
            {"split_continuations": t["split_continuations"], "split_same_ms": t["split_same_ms"],
             "documents_in_ties": t["documents_in_ties"]},
            "a multiline_start_regexp that matches the first line of every statement, so stack-trace lines join it "
            "(check it with efklab multiline diff)",
        ))
    if truncated_tie_groups:
        causes.append(Cause(
            "ns-truncation",
            "distinct nanosecond times collapsed to the same millisecond",
            {"truncated_tie_groups": truncated_tie_groups, "tie_groups": t["tie_groups"]},
            "a tiebreaker: CloudWatch Logs keeps milliseconds only, "
            "so the order inside a millisecond must come from @id",
        ))
    shards_unknown = not t.get("shards_known", True)
    if t["cross_shard_tie_inversions"] or (t["tie_inversions"] and (view.primaries or 1) > 1 and shards_unknown):
        causes.append(Cause(
            "shard-ties",
            "several primary shards return tied documents in shard order",
            {"cross_shard_tie_inversions": t["cross_shard_tie_inversions"] if not shards_unknown else None,
             "tie_inversions": t["tie_inversions"], "primaries": view.primaries},
            "a tiebreaker in the sort; one primary shard only hides this, "
            "tied documents then come back in indexing order",
        ))
    if t["index_order_inversions"]:
        causes.append(Cause(
            "delivery-order",
            "batches delivered (indexed) out of order",
            {"index_order_inversions": t["index_order_inversions"]},
            "a tiebreaker on @id: CloudWatch assigns ids in ingestion order per stream, "
            "whatever order the Lambda indexes them in",
        ))
    same_shard = t["tie_inversions"] - t["cross_shard_tie_inversions"]
    if same_shard > 0 and not t["index_order_inversions"] and not (shards_unknown and (view.primaries or 1) > 1):
        causes.append(Cause(
            "newest-first-ties",
            "tied documents come back oldest first inside a newest-first list",
            {"same_shard_tie_inversions": same_shard},
            "a tiebreaker sorted in the same direction as @timestamp",
        ))
    if t["time_inversions"]:
        causes.append(Cause(
            "event-times",
            "event times contradict the file order",
            {"time_inversions": t["time_inversions"]},
            "not a sort setting: concat gives a group the time of the line that closed it "
            "and a timeout flush the flush time; use_first_timestamp true keeps each event at its first line's time",
        ))
    return causes


def recommend_fix(measurements: Sequence[Measurement], *, current: str, candidate: str | None = None) -> Recommendation:
    """The simplest fix that the measured views show to work, with before/after figures.

    ``current`` is the grouping in production (e.g. the AWS sample regex), ``candidate`` a
    replacement that was also measured (e.g. the seed's regex).
    """
    by_view = {(m.grouping, m.tiebreaker): m for m in measurements}
    base = by_view.get((current, ()))
    if base is None:
        raise ValueError(f"no Discover view (no tiebreaker) measured for grouping {current!r}")
    grouped = by_view.get((candidate, ())) if candidate else None
    regex = bool(base.totals["split_continuations"]) and (
        grouped is None or grouped.totals["split_continuations"] < base.totals["split_continuations"]
    )
    grouping = candidate if regex and grouped is not None and candidate else current
    plain = by_view.get((grouping, ()), base)
    sorted_view = _best_tiebreaker(measurements, grouping)
    tiebreak = (
        sorted_view is not None
        and _disorder(plain) > (0.0, 0)
        and _disorder(sorted_view) < _disorder(plain)
    )
    final = sorted_view if tiebreak and sorted_view is not None else plain
    fix = {(False, False): "none", (True, False): "regex", (False, True): "tiebreaker",
           (True, True): "both"}[(regex, tiebreak)]
    steps = _steps(base, grouped if regex else None, final if tiebreak else None, candidate, regex)
    if fix == "none":
        after: dict[str, Any] | None = base.headline()
    elif regex and grouped is None:
        after = None  # the regex's effect was not measured
    else:
        after = final.headline()
    return Recommendation(
        fix=fix,
        grouping=grouping,
        tiebreaker=final.tiebreaker if tiebreak else (),
        before=base.headline(),
        after=after,
        steps=tuple(steps),
        views=tuple({"grouping": m.grouping, "sort": m.sort, **m.headline()} for m in measurements),
    )


def _disorder(view: Measurement) -> tuple[float, int]:
    return (float(view.totals["share_out_of_place"]), int(view.totals["inversions"]))


def _best_tiebreaker(measurements: Sequence[Measurement], grouping: str) -> Measurement | None:
    candidates = [m for m in measurements if m.grouping == grouping and m.tiebreaker]
    return min(candidates, key=lambda m: (_disorder(m), len(m.tiebreaker)), default=None)


def _steps(base: Measurement, grouped: Measurement | None, sorted_view: Measurement | None, candidate: str | None,
           regex: bool) -> list[str]:
    b = base.totals
    steps: list[str] = []
    if regex and grouped is not None:
        g = grouped.totals
        steps.append(
            f"Group continuation lines with the {candidate} multiline_start_regexp: continuation lines indexed alone "
            f"{b['split_continuations']:,} -> {g['split_continuations']:,}, "
            f"documents {b['documents']:,} -> {g['documents']:,}, "
            f"lines out of place {b['share_out_of_place']:.1%} -> {g['share_out_of_place']:.1%}."
        )
    elif regex:
        steps.append(
            f"Fix multiline_start_regexp: {b['split_continuations']:,} continuation lines were indexed alone, "
            "sharing a millisecond with the line before them (replay with a candidate regex to measure the cure)."
        )
    if sorted_view is not None:
        s = sorted_view.totals
        start = grouped.totals if regex and grouped is not None else b
        fields = " then ".join(sorted_view.tiebreaker)
        steps.append(
            f"Sort by @timestamp then {fields} (descending) in the index pattern / saved search: lines out of place "
            f"{start['share_out_of_place']:.1%} -> {s['share_out_of_place']:.1%}, "
            f"inversions {start['inversions']:,} -> {s['inversions']:,}."
        )
    if not steps:
        steps.append(f"Nothing to fix: {b['lines']:,} lines, {b['inversions']:,} inversions in the Discover view.")
    return steps


def count_truncated_ties(report: OrderReport, line_times_ns: Mapping[tuple[str, int], int]) -> int:
    """Tie groups whose documents' first lines had distinct nanosecond times: ties made by ms truncation."""
    groups: dict[tuple[str, int], list[int]] = {}
    for doc in report.placed:
        if doc.first_line is None:
            continue
        when = line_times_ns.get((doc.stream, doc.first_line))
        if when is not None:
            groups.setdefault((doc.stream, doc.timestamp_ms), []).append(when)
    return sum(1 for times in groups.values() if len(times) > 1 and len(set(times)) == len(times))

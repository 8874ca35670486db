"""The ordering check over views: each view measured, the causes in the Discover view, the fix the numbers support.

A view is one index pattern (the lines replayed with one grouping, i.e. one regex) sorted as
Discover does, or with a candidate tiebreaker.  Where the displayed documents come from (a node
query) is the caller's business; here they are measured, explained and turned into a
recommendation.  Pure.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from efklab.errors import InputError, UsageError
from efklab.ordering.diagnosis import Cause, Measurement, Recommendation, detect_causes, recommend_fix
from efklab.ordering.measure import OrderReport, Provenance, Shown, StreamOrder, measure_order, merge_reports

DEFAULT_TIEBREAKERS: tuple[tuple[str, ...], ...] = (("@id",), ("@log_stream", "@id"))


@dataclass(frozen=True, slots=True)
class View:
    """One measured view: its figures, the full per-stream report, the index pattern it came from."""

    measurement: Measurement
    report: OrderReport
    pattern: str

    def worst_streams(self, n: int) -> list[StreamOrder]:
        """The ``n`` most disordered streams: largest share out of place, then most inversions."""
        return sorted(self.report.streams, key=lambda s: (-s.share_out_of_place, -s.inversions, s.stream))[:n]


@dataclass(frozen=True, slots=True)
class OrderingCheck:
    """Every view measured, the causes seen in the Discover view, and the fix the numbers support."""

    views: tuple[View, ...]
    causes: tuple[Cause, ...]
    recommendation: Recommendation
    current: str
    candidate: str | None

    def view(self, grouping: str, tiebreaker: Sequence[str] = ()) -> View:
        """The view of ``grouping`` sorted with ``tiebreaker`` (as measured; ``@id`` may read ``@id.keyword``)."""
        for view in self.views:
            measured = view.measurement
            if measured.grouping == grouping and logical_fields(measured.tiebreaker) == tuple(tiebreaker):
                return view
        raise KeyError(f"no view {grouping!r} sorted by {tiebreaker!r}")

    def cause_codes(self) -> list[str]:
        """The codes of the causes found (e.g. continuation-split, shard-ties)."""
        return [cause.code for cause in self.causes]

    def saved_search_sort(self) -> tuple[str, ...]:
        """The tiebreaker a saved search should sort by, as the mapping needs it (``@id.keyword`` under dynamic
        mapping): the recommended one, else the first one measured (a saved search without one shows ties shuffled)."""
        rec = self.recommendation
        logical = rec.tiebreaker or next((v.measurement.tiebreaker for v in self.views if v.measurement.tiebreaker), ())
        return self.view(rec.grouping, logical_fields(logical)).measurement.tiebreaker

    def summary(self) -> dict[str, Any]:
        """Plain JSON: views, causes, recommendation."""
        rec = self.recommendation
        return {
            "current": self.current,
            "candidate": self.candidate,
            "views": [
                {"grouping": v.measurement.grouping, "index": v.pattern, "sort": v.measurement.sort,
                 "primaries": v.measurement.primaries, **v.measurement.totals}
                for v in self.views
            ],
            "causes": [{"code": c.code, "title": c.title, "evidence": c.evidence, "cure": c.cure} for c in self.causes],
            "recommendation": {"fix": rec.fix, "grouping": rec.grouping, "tiebreaker": list(rec.tiebreaker),
                               "before": rec.before, "after": rec.after, "steps": list(rec.steps)},
        }


def measure_view(shown: Sequence[Shown], provenance: Provenance | None, *, grouping: str, tiebreaker: Sequence[str],
                 primaries: int | None, pattern: str, descending: bool = True) -> View:
    """The documents of ``pattern`` as displayed, measured against the truth; InputError when nothing can be placed."""
    if not shown:
        raise InputError("the indices hold no documents", source="--index", position=pattern)
    report = measure_order(shown, provenance, descending=descending, tiebreaker=tiebreaker)
    if not report.placed:
        raise InputError(
            f"none of the {len(shown)} documents could be placed ({report.rejects[0].reason}): "
            "is the provenance from the replay into these indices?",
            source="--index",
            position=pattern,
        )
    return View(Measurement.of(grouping, tiebreaker, report, primaries), report, pattern)


def view_of_streams(shown_per_stream: Iterable[Sequence[Shown]], provenance: Provenance | None, *, grouping: str,
                    tiebreaker: Sequence[str], primaries: int | None, pattern: str, descending: bool = True,
                    sampled: str | None = None) -> View:
    """``measure_view`` stream by stream: each stream's documents (in display order) measured, then merged,
    so only one stream is held at a time.  A ``sampled`` view keeps the figures, not the per-document rows."""
    reports = []
    for shown in shown_per_stream:
        if shown:
            report = measure_order(shown, provenance, descending=descending, tiebreaker=tiebreaker)
            # a sample keeps no per-document rows: they would cost what sampling saves
            reports.append(report if not sampled else replace(report, placed=(), shards_known=any(
                p.shard is not None for p in report.placed)))
    if not reports:
        raise InputError("the indices hold no documents", source="--index", position=pattern)
    report = merge_reports(reports, provenance, sampled=sampled, keep_placed=not sampled)
    if not report.streams or not sum(s.documents for s in report.streams):
        raise InputError(f"none of the documents could be placed ({report.rejects[0].reason}): "
                         "is the provenance from the replay into these indices?", source="--index", position=pattern)
    return View(Measurement.of(grouping, tiebreaker, report, primaries), report, pattern)


def check_ordering(views: Sequence[View], *, current: str, candidate: str | None = None,
                   truncated_tie_groups: int | None = None) -> OrderingCheck:
    """Causes from the current grouping's Discover view and the recommendation over all views."""
    logical = [Measurement(v.measurement.grouping, logical_fields(v.measurement.tiebreaker), v.measurement.totals,
                           v.measurement.primaries) for v in views]
    base = next((m for m in logical if m.grouping == current and not m.tiebreaker), None)
    if base is None:
        raise UsageError(f"no Discover view of {current!r} was measured")
    causes = detect_causes(base, truncated_tie_groups=truncated_tie_groups)
    recommendation = recommend_fix(logical, current=current, candidate=candidate)
    return OrderingCheck(tuple(views), tuple(causes), recommendation, current, candidate)


def logical_fields(fields: Sequence[str]) -> tuple[str, ...]:
    """``@id.keyword`` -> ``@id``: the field a user names, whatever sub-field the mapping needs."""
    return tuple(field.removesuffix(".keyword") for field in fields)
